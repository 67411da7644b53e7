package dev.tandem.core;

/**
 * Element types of weight tensors, with GGUF's block layouts. Activations are always F32.
 *
 * <p>Block-quantized types store {@link #blockSize()} values in {@link #blockBytes()} bytes:
 * <ul>
 *   <li>{@code Q8_0}: an F16 scale {@code d}, then 32 signed bytes {@code q}; value = {@code d * q}.</li>
 *   <li>{@code Q4_0}: an F16 scale {@code d}, then 16 bytes; value {@code i < 16} is the low nibble of byte i,
 *       value {@code i >= 16} the high nibble of byte {@code i - 16}; value = {@code d * (nibble - 8)}.</li>
 *   <li>{@code Q4_1}, {@code Q5_0}, {@code Q5_1} and the 256-value super-blocks {@code Q2_K} .. {@code Q6_K}:
 *       GGML's layouts, decoded by {@code KQuants}; read only ({@link #writable()} is false).</li>
 * </ul>
 */
public enum DType {
    F32(0, 1, 4),
    F16(1, 1, 2),
    Q4_0(2, 32, 18),
    Q8_0(8, 32, 34),
    BF16(30, 1, 2),
    Q4_1(3, 32, 20, false),
    Q5_0(6, 32, 22, false),
    Q5_1(7, 32, 24, false),
    Q2_K(10, 256, 84, false),
    Q3_K(11, 256, 110, false),
    Q4_K(12, 256, 144, false),
    Q5_K(13, 256, 176, false),
    Q6_K(14, 256, 210, false);

    private final int ggufType;
    private final int blockSize;
    private final int blockBytes;
    private final boolean writable;

    DType(int ggufType, int blockSize, int blockBytes) {
        this(ggufType, blockSize, blockBytes, true);
    }

    DType(int ggufType, int blockSize, int blockBytes, boolean writable) {
        this.ggufType = ggufType;
        this.blockSize = blockSize;
        this.blockBytes = blockBytes;
        this.writable = writable;
    }

    /** Whether Tandem can write (quantize to) this type: convert and synth take only these. */
    public boolean writable() {
        return writable;
    }

    /** The type's id in GGUF tensor infos ({@code ggml_type}). */
    public int ggufType() {
        return ggufType;
    }

    /** Values per block (1 for plain float types). */
    public int blockSize() {
        return blockSize;
    }

    /** Bytes per block. */
    public int blockBytes() {
        return blockBytes;
    }

    public boolean quantized() {
        return blockSize > 1;
    }

    /** Bytes taken by {@code elements} values stored back to back; a whole number of blocks. */
    public long byteSize(long elements) {
        if (elements % blockSize != 0) {
            throw new TandemException(elements + " values are not a whole number of " + this + " blocks of " + blockSize);
        }
        return Math.multiplyExact(elements / blockSize, (long) blockBytes);
    }

    /** The DType with GGUF id {@code id}, or null when Tandem has no kernels for it. */
    public static DType fromGguf(int id) {
        for (DType t : values()) {
            if (t.ggufType == id) {
                return t;
            }
        }
        return null;
    }

    /** Parses a user-facing name such as {@code q8_0} or {@code bf16}. */
    public static DType parse(String name) {
        for (DType t : values()) {
            if (t.name().equalsIgnoreCase(name)) {
                return t;
            }
        }
        throw new TandemException("unknown dtype " + Shown.quote(name) + " (known: " + names() + ")");
    }

    /** Every type's name in lower case, as the CLI spells them: "f32, f16, q4_0, ...". */
    public static String names() {
        return String.join(", ", java.util.Arrays.stream(values()).map(t -> t.name().toLowerCase(java.util.Locale.ROOT)).toList());
    }

    /** The names of the types Tandem can write, in lower case: "f32, f16, q4_0, q8_0, bf16". */
    public static String writableNames() {
        return String.join(", ", java.util.Arrays.stream(values()).filter(DType::writable)
                .map(t -> t.name().toLowerCase(java.util.Locale.ROOT)).toList());
    }

    /** Parses the name of a type to write; a type Tandem only reads is refused by name. */
    public static DType parseWritable(String name) {
        DType t = parse(name);
        if (!t.writable) {
            throw new TandemException(t.name().toLowerCase(java.util.Locale.ROOT) + " can be read but not written yet (writable: "
                    + writableNames() + ")");
        }
        return t;
    }
}
