package dev.tandem.core;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * Scalar encoders and decoders of every {@link DType}, bit-compatible with GGML's reference routines
 * ({@code quantize_row_q8_0_ref}, {@code quantize_row_q4_0_ref}, IEEE half and bfloat16 with
 * round-to-nearest-even; the read-only block types decode through {@link KQuants}). The converter writes
 * through them; the tests hold the vector kernels to them.
 */
public final class Quantization {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private Quantization() {}

    // Every type decodes, checked when the class loads: a DType added without its decoder fails at start-up
    // with its name, not at the first model that uses it.
    static {
        try (java.lang.foreign.Arena arena = java.lang.foreign.Arena.ofConfined()) {
            for (DType t : DType.values()) {
                try {
                    decode(t, arena.allocate(t.blockBytes()), 0, t.blockSize(), new float[t.blockSize()], 0);
                } catch (RuntimeException e) {
                    throw new IllegalStateException("weight type " + t + " has no decoder (add it to KQuants.decodeBlock)", e);
                }
            }
        }
    }

    /** Writes {@code n} values of {@code src} (from {@code srcOff}) as {@code type} at byte {@code dstOff} of dst. */
    public static void encode(DType type, float[] src, int srcOff, int n, MemorySegment dst, long dstOff) {
        type.byteSize(n); // whole blocks only
        switch (type) {
            case F32 -> MemorySegment.copy(src, srcOff, dst, F32, dstOff, n);
            case F16 -> {
                for (int i = 0; i < n; i++) {
                    dst.set(I16, dstOff + 2L * i, Float.floatToFloat16(src[srcOff + i]));
                }
            }
            case BF16 -> {
                for (int i = 0; i < n; i++) {
                    dst.set(I16, dstOff + 2L * i, toBf16(src[srcOff + i]));
                }
            }
            case Q8_0 -> {
                for (int b = 0; b < n / 32; b++) {
                    encodeQ8Block(src, srcOff + 32 * b, dst, dstOff + 34L * b);
                }
            }
            case Q4_0 -> {
                for (int b = 0; b < n / 32; b++) {
                    encodeQ4Block(src, srcOff + 32 * b, dst, dstOff + 18L * b);
                }
            }
            default -> throw new TandemException("writing " + type + " is not supported (writable: " + DType.writableNames() + ")");
        }
    }

    /** Reads {@code n} values of {@code type} at byte {@code srcOff} of src into dst (from {@code dstOff}). */
    public static void decode(DType type, MemorySegment src, long srcOff, int n, float[] dst, int dstOff) {
        type.byteSize(n);
        switch (type) {
            case F32 -> MemorySegment.copy(src, F32, srcOff, dst, dstOff, n);
            case F16 -> {
                for (int i = 0; i < n; i++) {
                    dst[dstOff + i] = Float.float16ToFloat(src.get(I16, srcOff + 2L * i));
                }
            }
            case BF16 -> {
                for (int i = 0; i < n; i++) {
                    dst[dstOff + i] = Float.intBitsToFloat(src.get(I16, srcOff + 2L * i) << 16);
                }
            }
            case Q8_0 -> {
                for (int b = 0; b < n / 32; b++) {
                    long o = srcOff + 34L * b;
                    float d = Float.float16ToFloat(src.get(I16, o));
                    for (int i = 0; i < 32; i++) {
                        dst[dstOff + 32 * b + i] = src.get(ValueLayout.JAVA_BYTE, o + 2 + i) * d;
                    }
                }
            }
            case Q4_0 -> {
                for (int b = 0; b < n / 32; b++) {
                    long o = srcOff + 18L * b;
                    float d = Float.float16ToFloat(src.get(I16, o));
                    for (int i = 0; i < 16; i++) {
                        int q = src.get(ValueLayout.JAVA_BYTE, o + 2 + i) & 0xFF;
                        dst[dstOff + 32 * b + i] = ((q & 0x0F) - 8) * d;
                        dst[dstOff + 32 * b + 16 + i] = ((q >>> 4) - 8) * d;
                    }
                }
            }
            default -> {
                for (int b = 0; b < n / type.blockSize(); b++) {
                    KQuants.decodeBlock(type, src, srcOff + (long) type.blockBytes() * b, dst, dstOff + type.blockSize() * b);
                }
            }
        }
    }

    /** Row {@code row} of a weight tensor as floats. */
    public static float[] row(Tensor t, int row) {
        float[] out = new float[t.cols()];
        decode(t.dtype(), t.segment(), t.dtype().byteSize((long) row * t.cols()), t.cols(), out, 0);
        return out;
    }

    /** bfloat16 bits of {@code v}, rounded to nearest even; NaN stays a (quiet) NaN. */
    public static short toBf16(float v) {
        int bits = Float.floatToRawIntBits(v);
        if (Float.isNaN(v)) {
            return (short) ((bits >>> 16) | 0x40);
        }
        return (short) ((bits + 0x7FFF + ((bits >>> 16) & 1)) >>> 16);
    }

    private static void encodeQ8Block(float[] x, int off, MemorySegment dst, long o) {
        float amax = 0;
        for (int i = 0; i < 32; i++) {
            amax = Math.max(amax, Math.abs(x[off + i]));
        }
        float d = amax / 127;
        float id = d != 0 ? 1 / d : 0;
        dst.set(I16, o, Float.floatToFloat16(d));
        for (int i = 0; i < 32; i++) {
            dst.set(ValueLayout.JAVA_BYTE, o + 2 + i, (byte) roundHalfAway(x[off + i] * id));
        }
    }

    private static void encodeQ4Block(float[] x, int off, MemorySegment dst, long o) {
        float amax = 0;
        float max = 0; // the value of largest magnitude, with its sign: it maps to -8 exactly
        for (int i = 0; i < 32; i++) {
            float v = x[off + i];
            if (Math.abs(v) > amax) {
                amax = Math.abs(v);
                max = v;
            }
        }
        float d = max / -8;
        float id = d != 0 ? 1 / d : 0;
        dst.set(I16, o, Float.floatToFloat16(d));
        for (int i = 0; i < 16; i++) {
            int lo = Math.min(15, (int) (x[off + i] * id + 8.5f));
            int hi = Math.min(15, (int) (x[off + 16 + i] * id + 8.5f));
            dst.set(ValueLayout.JAVA_BYTE, o + 2 + i, (byte) (lo | (hi << 4)));
        }
    }

    /** C's roundf: halves round away from zero. */
    private static int roundHalfAway(float v) {
        return (int) (v < 0 ? -Math.floor(-v + 0.5f) : Math.floor(v + 0.5f));
    }
}
