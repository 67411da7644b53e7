package dev.tandem.core.codec;

import java.lang.foreign.MemorySegment;

/**
 * Q4_K (144 bytes): d, dmin, 12 bytes of 6-bit scales and mins ({@link KQuantScales}), qs[128] of 4-bit values.
 * Read only; decoded with the arithmetic of GGML's {@code dequantize_row_*}, in the same order (no fused multiply-add).
 */
public final class Q4_KCodec extends BlockCodec {
    public Q4_KCodec() {
        super(256, 144);
    }

    @Override
    protected void decodeBlock(MemorySegment s, long o, float[] y, int k) {
        float d = half(s, o), dmin = half(s, o + 2);
        long sc = o + 4, q = o + 16;
        for (int j = 0, is = 0; j < 256; j += 64, is += 2, q += 32) {
            float d1 = d * KQuantScales.scale(s, sc, is), m1 = dmin * KQuantScales.min(s, sc, is);
            float d2 = d * KQuantScales.scale(s, sc, is + 1), m2 = dmin * KQuantScales.min(s, sc, is + 1);
            for (int l = 0; l < 32; l++) {
                y[k + j + l] = d1 * (u8(s, q + l) & 0xF) - m1;
            }
            for (int l = 0; l < 32; l++) {
                y[k + j + 32 + l] = d2 * (u8(s, q + l) >>> 4) - m2;
            }
        }
    }
}
