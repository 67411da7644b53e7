package dev.tandem.core.codec;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Q6_K (210 bytes): ql[128] (low 4 bits), qh[64] (high 2 bits), int8 scales[16], d.
 * Read only; decoded with the arithmetic of GGML's {@code dequantize_row_*}, in the same order (no fused multiply-add).
 */
public final class Q6_KCodec extends BlockCodec {
    public Q6_KCodec() {
        super(256, 210);
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
}
