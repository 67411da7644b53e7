package dev.tandem.core.codec;

import java.lang.foreign.MemorySegment;

/** F16: IEEE half precision, rounded to nearest even on the way in. */
public final class F16Codec extends BlockCodec {
    public F16Codec() {
        super(1, 2, true);
    }

    @Override
    public void decode(MemorySegment src, long off, int n, float[] dst, int k) {
        for (int i = 0; i < n; i++) {
            dst[k + i] = Float.float16ToFloat(src.get(I16, off + 2L * i));
        }
    }

    @Override
    public void encode(float[] src, int k, int n, MemorySegment dst, long off) {
        for (int i = 0; i < n; i++) {
            dst.set(I16, off + 2L * i, Float.floatToFloat16(src[k + i]));
        }
    }

    @Override
    protected void decodeBlock(MemorySegment src, long o, float[] y, int k) {
        decode(src, o, 1, y, k);
    }

    @Override
    protected void encodeBlock(float[] x, int k, MemorySegment dst, long o) {
        encode(x, k, 1, dst, o);
    }
}
