package dev.tandem.core.codec;

import java.lang.foreign.MemorySegment;

/**
 * Q3_K (110 bytes): hmask[32] (third bit), qs[64] (two low bits), 12 bytes of 6-bit scales, d. Read only;
 * decoded with the arithmetic of GGML's {@code dequantize_row_q3_K}, in the same order.
 */
public final class Q3_KCodec extends BlockCodec {
    public Q3_KCodec() {
        super(256, 110);
    }

    @Override
    protected void decodeBlock(MemorySegment s, long o, float[] y, int k) {
        long hm = o, qs = o + 32;
        float dAll = half(s, o + 108);
        int[] scales = new int[16];
        scales(s, o + 96, scales);
        int is = 0, mask = 1;
        for (int n = 0; n < 256; n += 128) {
            long q = qs + n / 4;
            for (int shift = 0; shift < 8; shift += 2, mask <<= 1) {
                float dl = dAll * (scales[is++] - 32);
                for (int l = 0; l < 16; l++) {
                    int v = ((u8(s, q + l) >>> shift) & 3) - ((u8(s, hm + l) & mask) != 0 ? 0 : 4);
                    y[k++] = dl * v;
                }
                dl = dAll * (scales[is++] - 32);
                for (int l = 0; l < 16; l++) {
                    int v = ((u8(s, q + 16 + l) >>> shift) & 3) - ((u8(s, hm + 16 + l) & mask) != 0 ? 0 : 4);
                    y[k++] = dl * v;
                }
            }
        }
    }

    /**
     * The 16 scales of the block whose 12 scale bytes are at {@code sc}, before GGML's - 32 (four low bits from
     * the first 8 bytes, two high bits from the last 4, read as GGML reads them through an int8 pointer).
     */
    public static void scales(MemorySegment s, long sc, int[] out) {
        int a0 = s.get(I32, sc), a1 = s.get(I32, sc + 4), tmp = s.get(I32, sc + 8);
        final int m2 = 0x0f0f0f0f, m1 = 0x03030303;
        // four words of four scales each, as GGML's aux[]; locals rather than an array, so nothing is allocated per block
        int w0 = (a0 & m2) | ((tmp & m1) << 4), w1 = (a1 & m2) | (((tmp >>> 2) & m1) << 4);
        int w2 = ((a0 >>> 4) & m2) | (((tmp >>> 4) & m1) << 4), w3 = ((a1 >>> 4) & m2) | (((tmp >>> 6) & m1) << 4);
        for (int i = 0; i < 4; i++) {
            out[i] = (byte) (w0 >>> (8 * i));
            out[4 + i] = (byte) (w1 >>> (8 * i));
            out[8 + i] = (byte) (w2 >>> (8 * i));
            out[12 + i] = (byte) (w3 >>> (8 * i));
        }
    }
}
