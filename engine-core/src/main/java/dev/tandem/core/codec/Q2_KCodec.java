package dev.tandem.core.codec;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Q2_K (84 bytes): scales[16] (low nibble scale, high nibble min), qs[64] of 2-bit values, d, dmin.
 * Encoded as GGML's {@code quantize_row_q2_K_ref} (what {@code llama-quantize} does without an importance matrix);
 * decoded with the arithmetic of GGML's {@code dequantize_row_*}, in the same order (no fused multiply-add).
 */
public final class Q2_KCodec extends BlockCodec {
    public Q2_KCodec() {
        super(256, 84, true);
    }

    @Override
    protected void decodeBlock(MemorySegment s, long o, float[] y, int k) {
        long scales = o, qs = o + 16;
        float d = half(s, o + 80), min = half(s, o + 82);
        int is = 0;
        for (int n = 0; n < 256; n += 128) {
            long q = qs + n / 4;
            for (int shift = 0; shift < 8; shift += 2) {
                int sc = u8(s, scales + is++);
                float dl = d * (sc & 0xF), ml = min * (sc >>> 4);
                for (int l = 0; l < 16; l++) {
                    y[k++] = dl * ((u8(s, q + l) >>> shift) & 3) - ml;
                }
                sc = u8(s, scales + is++);
                dl = d * (sc & 0xF);
                ml = min * (sc >>> 4);
                for (int l = 0; l < 16; l++) {
                    y[k++] = dl * ((u8(s, q + 16 + l) >>> shift) & 3) - ml;
                }
            }
        }
    }

    /**
     * Sixteen 16-value groups, each with a 2-bit level search against its own scale and min (absolute error,
     * weighted by |x|), then both quantized to 4 bits against the block's largest, and the levels chosen again
     * against the scales as stored.
     */
    @Override
    protected void encodeBlock(float[] x, int k, MemorySegment dst, long o) {
        int[] levels = new int[256], aux = new int[16];
        float[] weights = new float[16], scales = new float[16], mins = new float[16];
        float maxScale = 0, maxMin = 0;
        for (int j = 0; j < 16; j++) {
            for (int l = 0; l < 16; l++) {
                weights[l] = Math.abs(x[k + 16 * j + l]);
            }
            scales[j] = KQuantRounding.qkx2Quants(16, 3, x, k + 16 * j, weights, levels, 16 * j, mins, j, aux, -0.5f, 0.1f, 15, true);
            maxScale = Math.max(maxScale, scales[j]);
            maxMin = Math.max(maxMin, mins[j]);
        }
        int[] sc = new int[16];
        short d = Float.floatToFloat16(0f), dmin = d;
        if (maxScale > 0) {
            float iscale = 15f / maxScale;
            for (int j = 0; j < 16; j++) {
                sc[j] = KQuantRounding.nearestInt(iscale * scales[j]) & 0xFF;
            }
            d = Float.floatToFloat16(maxScale / 15f);
        }
        if (maxMin > 0) {
            float iscale = 15f / maxMin;
            for (int j = 0; j < 16; j++) {
                sc[j] = (sc[j] | KQuantRounding.nearestInt(iscale * mins[j]) << 4) & 0xFF;
            }
            dmin = Float.floatToFloat16(maxMin / 15f);
        }
        for (int j = 0; j < 16; j++) {
            float dj = Float.float16ToFloat(d) * (sc[j] & 0xF);
            if (dj == 0) {
                continue; // the group keeps the levels its own search chose, as GGML's does
            }
            float dm = Float.float16ToFloat(dmin) * (sc[j] >> 4);
            for (int i = 0; i < 16; i++) {
                levels[16 * j + i] = Math.max(0, Math.min(3, KQuantRounding.nearestInt((x[k + 16 * j + i] + dm) / dj)));
            }
        }
        for (int j = 0; j < 16; j++) {
            dst.set(ValueLayout.JAVA_BYTE, o + j, (byte) sc[j]);
        }
        packTwoBits(levels, dst, o + 16);
        dst.set(I16, o + 80, d);
        dst.set(I16, o + 82, dmin);
    }

    /** 2-bit levels as Q2_K and Q3_K store them: byte l of each 32-byte half holds values l, l+32, l+64, l+96. */
    static void packTwoBits(int[] levels, MemorySegment dst, long o) {
        for (int j = 0; j < 256; j += 128) {
            for (int l = 0; l < 32; l++) {
                int b = levels[j + l] | levels[j + l + 32] << 2 | levels[j + l + 64] << 4 | levels[j + l + 96] << 6;
                dst.set(ValueLayout.JAVA_BYTE, o + j / 4 + l, (byte) b);
            }
        }
    }
}
