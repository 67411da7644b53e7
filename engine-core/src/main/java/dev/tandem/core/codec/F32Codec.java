package dev.tandem.core.codec;

import java.lang.foreign.MemorySegment;

/** F32: little-endian IEEE single precision, stored as is. */
public final class F32Codec extends BlockCodec {
    public F32Codec() {
        super(1, 4, true);
    }

    @Override
    public void decode(MemorySegment src, long off, int n, float[] dst, int k) {
        MemorySegment.copy(src, F32, off, dst, k, n);
    }

    @Override
    public void encode(float[] src, int k, int n, MemorySegment dst, long off) {
        MemorySegment.copy(src, k, dst, F32, off, n);
    }

    @Override
    protected void decodeBlock(MemorySegment src, long o, float[] y, int k) {
        y[k] = src.get(F32, o);
    }

    @Override
    protected void encodeBlock(float[] x, int k, MemorySegment dst, long o) {
        dst.set(F32, o, x[k]);
    }
}
