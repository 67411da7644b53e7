package dev.tandem.core.codec;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Q3_K (110 bytes): hmask[32] (third bit), qs[64] (two low bits), 12 bytes of 6-bit scales, d. Encoded as GGML's
 * {@code quantize_row_q3_K_ref} (what {@code llama-quantize} does without an importance matrix); decoded with the
 * arithmetic of GGML's {@code dequantize_row_q3_K}, in the same order.
 */
public final class Q3_KCodec extends BlockCodec {
    public Q3_KCodec() {
        super(256, 110, true);
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
     * the first 8 bytes, two high bits from the last 4, read as GGML reads them).
     */
    public static void scales(MemorySegment s, long sc, int[] out) {
        for (int h = 0; h < 2; h++) {
            long p = packedScales(s, sc, h);
            for (int i = 0; i < 8; i++) {
                out[8 * h + i] = (int) (p >>> (8 * i)) & 0xFF;
            }
        }
    }

    /**
     * Scales 8 h .. 8 h + 7 (before - 32) of the 12 scale bytes at {@code sc}, scale 8 h + i in byte i: two of
     * GGML's four {@code aux} words (locals, so the kernels allocate nothing per block).
     */
    public static long packedScales(MemorySegment s, long sc, int h) {
        int a0 = s.get(I32, sc), a1 = s.get(I32, sc + 4), tmp = s.get(I32, sc + 8);
        final int m2 = 0x0f0f0f0f, m1 = 0x03030303;
        int shift = 4 * h;
        int lo = ((a0 >>> shift) & m2) | (((tmp >>> shift) & m1) << 4);
        int hi = ((a1 >>> shift) & m2) | (((tmp >>> (shift + 2)) & m1) << 4);
        return (lo & 0xFFFFFFFFL) | (long) hi << 32;
    }

    /**
     * Sixteen 16-value groups, each with signed 3-bit levels and a scale from GGML's {@code make_q3_quants};
     * the scales quantized to 6 bits against the one of largest magnitude, the levels chosen again against the
     * scales as stored, then split into a high bit (hmask) and two low bits (qs).
     */
    @Override
    protected void encodeBlock(float[] x, int k, MemorySegment dst, long o) {
        int[] levels = new int[256];
        float[] scales = new float[16];
        float maxScale = 0, amax = 0;
        for (int j = 0; j < 16; j++) {
            scales[j] = KQuantRounding.q3Quants(16, 4, x, k + 16 * j, levels, 16 * j);
            float scale = Math.abs(scales[j]);
            if (scale > amax) {
                amax = scale;
                maxScale = scales[j];
            }
        }
        byte[] sc = new byte[12];
        short d = Float.floatToFloat16(0f);
        if (maxScale != 0) {
            float iscale = -32f / maxScale;
            for (int j = 0; j < 16; j++) {
                int l = Math.max(-32, Math.min(31, (byte) KQuantRounding.nearestInt(iscale * scales[j]))) + 32;
                if (j < 8) {
                    sc[j] = (byte) (l & 0xF);
                } else {
                    sc[j - 8] |= (byte) ((l & 0xF) << 4);
                }
                sc[j % 4 + 8] |= (byte) ((l >> 4) << (2 * (j / 4)));
            }
            d = Float.floatToFloat16(1 / iscale);
        }
        for (int j = 0; j < 16; j++) {
            int s = j < 8 ? sc[j] & 0xF : (sc[j - 8] & 0xFF) >> 4;
            s = (s | ((((sc[8 + j % 4] & 0xFF) >> (2 * (j / 4))) & 3) << 4)) - 32;
            float dj = Float.float16ToFloat(d) * s;
            if (dj == 0) {
                continue;
            }
            for (int i = 0; i < 16; i++) {
                levels[16 * j + i] = Math.max(-4, Math.min(3, KQuantRounding.nearestInt(x[k + 16 * j + i] / dj))) + 4;
            }
        }
        byte[] hmask = new byte[32];
        for (int j = 0, m = 0, hm = 1; j < 256; j++) { // the high bit of values 0..31 in bit 0, of 32..63 in bit 1...
            if (levels[j] > 3) {
                hmask[m] |= (byte) hm;
                levels[j] -= 4;
            }
            if (++m == 32) {
                m = 0;
                hm <<= 1;
            }
        }
        MemorySegment.copy(hmask, 0, dst, ValueLayout.JAVA_BYTE, o, 32);
        Q2_KCodec.packTwoBits(levels, dst, o + 32);
        MemorySegment.copy(sc, 0, dst, ValueLayout.JAVA_BYTE, o + 96, 12);
        dst.set(I16, o + 108, d);
    }
}
