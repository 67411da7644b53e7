package dev.tandem.core.codec;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Q6_K (210 bytes): ql[128] (low 4 bits), qh[64] (high 2 bits), int8 scales[16], d.
 * Encoded as GGML's {@code quantize_row_q6_K_ref} (what {@code llama-quantize} does without an importance
 * matrix); decoded with the arithmetic of GGML's {@code dequantize_row_*}, in the same order (no fused multiply-add).
 */
public final class Q6_KCodec extends BlockCodec {
    public Q6_KCodec() {
        super(256, 210, true);
    }

    @Override
    protected void decodeBlock(MemorySegment s, long o, float[] y, int k) {
        float d = half(s, o + 208);
        long ql = o, qh = o + 128, sc = o + 192;
        for (int n = 0; n < 256; n += 128, ql += 64, qh += 32, sc += 8) {
            for (int l = 0; l < 32; l++) {
                int is = l / 16;
                int h = u8(s, qh + l);
                int q1 = ((u8(s, ql + l) & 0xF) | ((h & 3) << 4)) - 32;
                int q2 = ((u8(s, ql + l + 32) & 0xF) | (((h >>> 2) & 3) << 4)) - 32;
                int q3 = ((u8(s, ql + l) >>> 4) | (((h >>> 4) & 3) << 4)) - 32;
                int q4 = ((u8(s, ql + l + 32) >>> 4) | (((h >>> 6) & 3) << 4)) - 32;
                y[k + n + l] = d * s.get(ValueLayout.JAVA_BYTE, sc + is) * q1;
                y[k + n + l + 32] = d * s.get(ValueLayout.JAVA_BYTE, sc + is + 2) * q2;
                y[k + n + l + 64] = d * s.get(ValueLayout.JAVA_BYTE, sc + is + 4) * q3;
                y[k + n + l + 96] = d * s.get(ValueLayout.JAVA_BYTE, sc + is + 6) * q4;
            }
        }
    }

    @Override
    protected void encodeBlock(float[] x, int k, MemorySegment dst, long o) {
        int[] levels = new int[256]; // 0..63
        float[] scales = new float[16];
        float maxScale = 0, maxAbsScale = 0;
        for (int ib = 0; ib < 16; ib++) {
            float scale = KQuantRounding.qxQuants(16, 32, x, k + 16 * ib, levels, 16 * ib);
            scales[ib] = scale;
            if (Math.abs(scale) > maxAbsScale) {
                maxAbsScale = Math.abs(scale);
                maxScale = scale;
            }
        }
        if (maxAbsScale < KQuantRounding.GROUP_MAX_EPS) {
            dst.asSlice(o, 210).fill((byte) 0);
            return;
        }
        float iscale = -128f / maxScale;
        short d = Float.floatToFloat16(1 / iscale);
        dst.set(I16, o + 208, d);
        for (int ib = 0; ib < 16; ib++) {
            int sc = Math.min(127, KQuantRounding.nearestInt(iscale * scales[ib]));
            dst.set(ValueLayout.JAVA_BYTE, o + 192 + ib, (byte) sc);
            float dj = Float.float16ToFloat(d) * (byte) sc;
            if (dj == 0) {
                continue; // the sub-block keeps the levels its own search chose, as GGML's does
            }
            for (int i = 0; i < 16; i++) {
                int l = KQuantRounding.nearestInt(x[k + 16 * ib + i] / dj);
                levels[16 * ib + i] = Math.max(-32, Math.min(31, l)) + 32;
            }
        }
        for (int half = 0; half < 2; half++) { // ql: low 4 bits (values j and j + 64 share a byte); qh: high 2 bits
            int j = 128 * half;
            long ql = o + 64L * half, qh = o + 128 + 32L * half;
            for (int l = 0; l < 32; l++) {
                int q1 = levels[j + l], q2 = levels[j + l + 32], q3 = levels[j + l + 64], q4 = levels[j + l + 96];
                dst.set(ValueLayout.JAVA_BYTE, ql + l, (byte) ((q1 & 0xF) | ((q3 & 0xF) << 4)));
                dst.set(ValueLayout.JAVA_BYTE, ql + 32 + l, (byte) ((q2 & 0xF) | ((q4 & 0xF) << 4)));
                dst.set(ValueLayout.JAVA_BYTE, qh + l, (byte) ((q1 >> 4) | ((q2 >> 4) << 2) | ((q3 >> 4) << 4) | ((q4 >> 4) << 6)));
            }
        }
    }
}
