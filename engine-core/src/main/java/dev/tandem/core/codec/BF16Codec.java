package dev.tandem.core.codec;

import java.lang.foreign.MemorySegment;

/** BF16: the high 16 bits of an F32, rounded to nearest even on the way in; NaN stays a (quiet) NaN. */
public final class BF16Codec extends BlockCodec {
    public BF16Codec() {
        super(1, 2, true);
    }

    @Override
    public void decode(MemorySegment src, long off, int n, float[] dst, int k) {
        for (int i = 0; i < n; i++) {
            dst[k + i] = Float.intBitsToFloat(src.get(I16, off + 2L * i) << 16);
        }
    }

    @Override
    public void encode(float[] src, int k, int n, MemorySegment dst, long off) {
        for (int i = 0; i < n; i++) {
            dst.set(I16, off + 2L * i, toBf16(src[k + i]));
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

    /** bfloat16 bits of {@code v}, rounded to nearest even; NaN stays a (quiet) NaN. */
    public static short toBf16(float v) {
        int bits = Float.floatToRawIntBits(v);
        if (Float.isNaN(v)) {
            return (short) ((bits >>> 16) | 0x40);
        }
        return (short) ((bits + 0x7FFF + ((bits >>> 16) & 1)) >>> 16);
    }
}
