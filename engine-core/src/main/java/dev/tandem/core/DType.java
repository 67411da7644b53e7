package dev.tandem.core;

import dev.tandem.core.codec.BF16Codec;
import dev.tandem.core.codec.BlockCodec;
import dev.tandem.core.codec.F16Codec;
import dev.tandem.core.codec.F32Codec;
import dev.tandem.core.codec.IQ4_NLCodec;
import dev.tandem.core.codec.LegacyQ5Codec;
import dev.tandem.core.codec.Q2_KCodec;
import dev.tandem.core.codec.Q3_KCodec;
import dev.tandem.core.codec.Q4_0Codec;
import dev.tandem.core.codec.Q4_1Codec;
import dev.tandem.core.codec.Q6_KCodec;
import dev.tandem.core.codec.Q8_0Codec;
import dev.tandem.core.codec.ScaleMinCodec;

/**
 * Element types of weight tensors, with GGUF's block layouts. Activations are always F32.
 *
 * <p>Each constant is one line: its GGUF id ({@code ggml_type}) and its codec, the one class that defines the
 * type's storage (values and bytes per block, the scalar decoder and, for types Tandem writes, the
 * encoder: {@code core.codec}). The CPU kernels for a type are looked up by an exhaustive switch
 * ({@code core.cpu.WeightKernels.of}), so a constant added without them does not compile. The GGUF reader,
 * {@code --dtype} parsing and the lists in error messages derive from this enum.
 */
public enum DType {
    F32(0, new F32Codec()),
    F16(1, new F16Codec()),
    Q4_0(2, new Q4_0Codec()),
    Q8_0(8, new Q8_0Codec()),
    BF16(30, new BF16Codec()),
    Q4_1(3, new Q4_1Codec()),
    Q5_0(6, LegacyQ5Codec.q5_0()),
    Q5_1(7, LegacyQ5Codec.q5_1()),
    Q2_K(10, new Q2_KCodec()),
    Q3_K(11, new Q3_KCodec()),
    Q4_K(12, ScaleMinCodec.q4K()),
    Q5_K(13, ScaleMinCodec.q5K()),
    Q6_K(14, new Q6_KCodec()),
    IQ4_NL(20, new IQ4_NLCodec());

    private final int ggufType;
    private final BlockCodec codec;

    DType(int ggufType, BlockCodec codec) {
        this.ggufType = ggufType;
        this.codec = codec;
    }

    /** The scalar decoder and encoder of this type. */
    public BlockCodec codec() {
        return codec;
    }

    /** Whether Tandem can write (quantize to) this type: convert and synth take only these. */
    public boolean writable() {
        return codec.writes();
    }

    /** The type's id in GGUF tensor infos ({@code ggml_type}). */
    public int ggufType() {
        return ggufType;
    }

    /** Values per block (1 for plain float types). */
    public int blockSize() {
        return codec.blockSize();
    }

    /** Bytes per block. */
    public int blockBytes() {
        return codec.blockBytes();
    }

    public boolean quantized() {
        return codec.blockSize() > 1;
    }

    /** Bytes taken by {@code elements} values stored back to back; a whole number of blocks. */
    public long byteSize(long elements) {
        int size = codec.blockSize();
        if (elements % size != 0) {
            throw new TandemException(elements + " values are not a whole number of " + this + " blocks of " + size);
        }
        return Math.multiplyExact(elements / size, (long) codec.blockBytes());
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

    /** The names of the types Tandem can write, in lower case: "f32, f16, q4_0, q8_0, ...". */
    public static String writableNames() {
        return String.join(", ", java.util.Arrays.stream(values()).filter(DType::writable)
                .map(t -> t.name().toLowerCase(java.util.Locale.ROOT)).toList());
    }

    /** Parses the name of a type to write; a type Tandem only reads is refused by name. */
    public static DType parseWritable(String name) {
        DType t = parse(name);
        if (!t.writable()) {
            throw new TandemException(t.name().toLowerCase(java.util.Locale.ROOT) + " can be read but not written yet (writable: "
                    + writableNames() + ")");
        }
        return t;
    }
}
