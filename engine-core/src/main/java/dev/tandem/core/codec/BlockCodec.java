package dev.tandem.core.codec;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * One weight type's storage: how many values a block holds, its bytes, and the scalar decoder (and, for
 * the types Tandem writes, the encoder), bit-compatible with GGML's reference routines. A {@code DType}
 * constant names its codec; the CPU kernels ({@code core.cpu.WeightKernels}) hold the vector versions to it.
 *
 * <p>Runs of whole blocks go through {@link #decode}/{@link #encode}, which loop over the blocks; the float
 * types (one value a block) override the run methods themselves so that no call is made per value.
 */
public abstract class BlockCodec {
    protected static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    protected static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    protected static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final int blockSize;
    private final int blockBytes;
    private final boolean writes;

    /** {@code writes}: the type also encodes ({@link #encodeBlock} or {@link #encode} overridden). */
    protected BlockCodec(int blockSize, int blockBytes, boolean writes) {
        this.blockSize = blockSize;
        this.blockBytes = blockBytes;
        this.writes = writes;
    }

    /** Values per block (1 for the float types). */
    public final int blockSize() {
        return blockSize;
    }

    /** Bytes per block. */
    public final int blockBytes() {
        return blockBytes;
    }

    /** Whether Tandem writes (quantizes to) this type. */
    public final boolean writes() {
        return writes;
    }

    /** Reads {@code n} values (whole blocks) at byte {@code off} of src into {@code dst[k..]}. */
    public void decode(MemorySegment src, long off, int n, float[] dst, int k) {
        for (int b = 0; b < n / blockSize; b++) {
            decodeBlock(src, off + (long) blockBytes * b, dst, k + blockSize * b);
        }
    }

    /** Writes {@code n} values (whole blocks) of {@code src[k..]} at byte {@code off} of dst. */
    public void encode(float[] src, int k, int n, MemorySegment dst, long off) {
        for (int b = 0; b < n / blockSize; b++) {
            encodeBlock(src, k + blockSize * b, dst, off + (long) blockBytes * b);
        }
    }

    /** Decodes the block at byte {@code o} of src into {@code y[k .. k + blockSize)}. */
    protected abstract void decodeBlock(MemorySegment src, long o, float[] y, int k);

    /** Encodes {@code x[k .. k + blockSize)} as the block at byte {@code o} of dst; only where {@link #writes}. */
    protected void encodeBlock(float[] x, int k, MemorySegment dst, long o) {
        throw new UnsupportedOperationException(getClass().getSimpleName() + " does not encode");
    }

    protected static int u8(MemorySegment s, long o) {
        return s.get(ValueLayout.JAVA_BYTE, o) & 0xFF;
    }

    protected static float half(MemorySegment s, long o) {
        return Float.float16ToFloat(s.get(I16, o));
    }

    /**
     * A block of Q4_0's layout, an F16 scale d then 16 bytes of nibbles (the low nibble of byte i is value i, the high
     * one value i + 16), each value {@code d * levels[nibble]} (Q4_0: q - 8; IQ4_NL: its non-linear table).
     */
    protected static void decodeNibbleLevels(MemorySegment s, long o, float[] y, int k, byte[] levels) {
        float d = half(s, o);
        for (int i = 0; i < 16; i++) {
            int q = u8(s, o + 2 + i);
            y[k + i] = d * levels[q & 0x0F];
            y[k + 16 + i] = d * levels[q >>> 4];
        }
    }

    /**
     * Q4_1's and Q5_1's scale and min: the range from {@code min} to {@code max} in {@code steps} steps, written as
     * F16 d then F16 min at byte {@code o}; returns 1 / d (0 for a flat block), what the values are rounded with.
     */
    protected static float scaleAndMin(float min, float max, int steps, MemorySegment dst, long o) {
        float d = (max - min) / steps;
        dst.set(I16, o, Float.floatToFloat16(d));
        dst.set(I16, o + 2, Float.floatToFloat16(min));
        return d != 0 ? 1f / d : 0f;
    }

    /** The smallest of x[k..k+n) as GGML's {@code if (v < min) min = v;} finds it: a -0.0 after a 0.0 is not the min. */
    protected static float min(float[] x, int k, int n) {
        float min = Float.MAX_VALUE;
        for (int j = k; j < k + n; j++) {
            if (x[j] < min) {
                min = x[j];
            }
        }
        return min;
    }

    /** The largest of x[k..k+n), as GGML's {@code if (v > max) max = v;}. */
    protected static float max(float[] x, int k, int n) {
        float max = -Float.MAX_VALUE;
        for (int j = k; j < k + n; j++) {
            if (x[j] > max) {
                max = x[j];
            }
        }
        return max;
    }
}
