package dev.tandem.core;

import dev.tandem.core.codec.BF16Codec;
import java.lang.foreign.MemorySegment;

/**
 * Scalar encode and decode of any {@link DType}, through the type's codec ({@code core.codec}): bit-compatible
 * with GGML's reference routines. The converter writes through it; the tests hold the vector kernels to it.
 */
public final class Quantization {
    private Quantization() {}

    /** Writes {@code n} values of {@code src} (from {@code srcOff}) as {@code type} at byte {@code dstOff} of dst. */
    public static void encode(DType type, float[] src, int srcOff, int n, MemorySegment dst, long dstOff) {
        type.byteSize(n); // whole blocks only
        if (!type.writable()) {
            throw new TandemException("writing " + type + " is not supported (writable: " + DType.writableNames() + ")");
        }
        type.codec().encode(src, srcOff, n, dst, dstOff);
    }

    /** Reads {@code n} values of {@code type} at byte {@code srcOff} of src into dst (from {@code dstOff}). */
    public static void decode(DType type, MemorySegment src, long srcOff, int n, float[] dst, int dstOff) {
        type.byteSize(n);
        type.codec().decode(src, srcOff, n, dst, dstOff);
    }

    /** Row {@code row} of a weight tensor as floats. */
    public static float[] row(Tensor t, int row) {
        float[] out = new float[t.cols()];
        decode(t.dtype(), t.segment(), t.dtype().byteSize((long) row * t.cols()), t.cols(), out, 0);
        return out;
    }

    /** bfloat16 bits of {@code v}, rounded to nearest even; NaN stays a (quiet) NaN. */
    public static short toBf16(float v) {
        return BF16Codec.toBf16(v);
    }
}
