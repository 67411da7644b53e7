package dev.tandem.core.codec;

import java.lang.foreign.MemorySegment;

/**
 * The 16-bit float types (F16, BF16): one value a two-byte block, so runs are converted value by value
 * without a call per block; a subclass says only how one value's bits convert.
 */
abstract class HalfWidthCodec extends BlockCodec {
    HalfWidthCodec() {
        super(1, 2, true);
    }

    /** The value of the 16 bits {@code bits}. */
    protected abstract float toFloat(short bits);

    /** The 16 bits that store {@code v}, rounded as the type rounds. */
    protected abstract short fromFloat(float v);

    @Override
    public final void decode(MemorySegment src, long off, int n, float[] dst, int k) {
        for (int i = 0; i < n; i++) {
            dst[k + i] = toFloat(src.get(I16, off + 2L * i));
        }
    }

    @Override
    public final void encode(float[] src, int k, int n, MemorySegment dst, long off) {
        for (int i = 0; i < n; i++) {
            dst.set(I16, off + 2L * i, fromFloat(src[k + i]));
        }
    }

    @Override
    protected final void decodeBlock(MemorySegment src, long o, float[] y, int k) {
        y[k] = toFloat(src.get(I16, o));
    }

    @Override
    protected final void encodeBlock(float[] x, int k, MemorySegment dst, long o) {
        dst.set(I16, o, fromFloat(x[k]));
    }
}
