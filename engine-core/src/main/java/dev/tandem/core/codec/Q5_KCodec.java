package dev.tandem.core.codec;

import java.lang.foreign.MemorySegment;

/**
 * Q5_K (176 bytes): d, dmin, 12 scale bytes ({@link KQuantScales}), qh[32] (fifth bits), qs[128].
 * Read only; decoded with the arithmetic of GGML's {@code dequantize_row_*}, in the same order (no fused multiply-add).
 */
public final class Q5_KCodec extends BlockCodec {
    public Q5_KCodec() {
        super(256, 176);
    }

    @Override
    protected void decodeBlock(MemorySegment s, long o, float[] y, int k) {
        float d = half(s, o), dmin = half(s, o + 2);
        long sc = o + 4, qh = o + 16, ql = o + 48;
        int u1 = 1, u2 = 2;
        for (int j = 0, is = 0; j < 256; j += 64, is += 2, ql += 32, u1 <<= 2, u2 <<= 2) {
            float d1 = d * KQuantScales.scale(s, sc, is), m1 = dmin * KQuantScales.min(s, sc, is);
            float d2 = d * KQuantScales.scale(s, sc, is + 1), m2 = dmin * KQuantScales.min(s, sc, is + 1);
            for (int l = 0; l < 32; l++) {
                y[k + j + l] = d1 * ((u8(s, ql + l) & 0xF) + ((u8(s, qh + l) & u1) != 0 ? 16 : 0)) - m1;
            }
            for (int l = 0; l < 32; l++) {
                y[k + j + 32 + l] = d2 * ((u8(s, ql + l) >>> 4) + ((u8(s, qh + l) & u2) != 0 ? 16 : 0)) - m2;
            }
        }
    }
}
