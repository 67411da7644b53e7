package dev.tandem.core.codec;

import java.lang.foreign.MemorySegment;

/**
 * Q5_1 (24 bytes): F16 scale d and min m, 32 fifth bits, 16 bytes of nibbles; value = q * d + m.
 * Read only; decoded with the arithmetic of GGML's {@code dequantize_row_*}, in the same order (no fused multiply-add).
 */
public final class Q5_1Codec extends BlockCodec {
    public Q5_1Codec() {
        super(32, 24);
    }

    @Override
    protected void decodeBlock(MemorySegment s, long o, float[] y, int k) {
        float d = half(s, o), m = half(s, o + 2);
        int qh = s.get(I32, o + 4);
        for (int j = 0; j < 16; j++) {
            int q = u8(s, o + 8 + j);
            int h0 = ((qh >>> j) << 4) & 0x10;
            int h1 = (qh >>> (j + 12)) & 0x10;
            y[k + j] = ((q & 0x0F) | h0) * d + m;
            y[k + j + 16] = ((q >>> 4) | h1) * d + m;
        }
    }
}
