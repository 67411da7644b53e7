package dev.tandem.core.codec;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Q5_K (176 bytes): d, dmin, 12 scale bytes ({@link KQuantScales}), qh[32] (fifth bits), qs[128].
 * Encoded as GGML's {@code quantize_row_q5_k_ref} (what {@code llama-quantize} does without an importance
 * matrix); decoded with the arithmetic of GGML's {@code dequantize_row_*}, in the same order (no fused multiply-add).
 */
public final class Q5_KCodec extends BlockCodec {
    public Q5_KCodec() {
        super(256, 176, true);
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

    @Override
    protected void encodeBlock(float[] x, int k, MemorySegment dst, long o) {
        int[] levels = new int[256];
        KQuantRounding.scalesAndMins(x, k, 31, -0.5f, 15, dst, o, levels);
        byte[] qh = new byte[32];
        for (int g = 0; g < 4; g++) { // as Q4_K's nibbles, the fifth bits of group g in bits 2g and 2g + 1 of qh
            for (int l = 0; l < 32; l++) {
                int l1 = levels[64 * g + l], l2 = levels[64 * g + 32 + l];
                if (l1 > 15) {
                    l1 -= 16;
                    qh[l] |= (byte) (1 << (2 * g));
                }
                if (l2 > 15) {
                    l2 -= 16;
                    qh[l] |= (byte) (2 << (2 * g));
                }
                dst.set(ValueLayout.JAVA_BYTE, o + 48 + 32L * g + l, (byte) (l1 | (l2 << 4)));
            }
        }
        MemorySegment.copy(qh, 0, dst, ValueLayout.JAVA_BYTE, o + 16, 32);
    }
}
