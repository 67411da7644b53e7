package dev.tandem.core.codec;

import java.lang.foreign.MemorySegment;

/**
 * Q2_K (84 bytes): scales[16] (low nibble scale, high nibble min), qs[64] of 2-bit values, d, dmin.
 * Read only; decoded with the arithmetic of GGML's {@code dequantize_row_*}, in the same order (no fused multiply-add).
 */
public final class Q2_KCodec extends BlockCodec {
    public Q2_KCodec() {
        super(256, 84);
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
}
