package dev.tandem.core.codec;

import java.lang.foreign.MemorySegment;

/**
 * Q4_1 (20 bytes): F16 scale d and min m, 16 bytes of nibbles (low: values 0..15, high: 16..31); value = q * d + m.
 * Read only; decoded with the arithmetic of GGML's {@code dequantize_row_*}, in the same order (no fused multiply-add).
 */
public final class Q4_1Codec extends BlockCodec {
    public Q4_1Codec() {
        super(32, 20);
    }

    @Override
    protected void decodeBlock(MemorySegment s, long o, float[] y, int k) {
        float d = half(s, o), m = half(s, o + 2);
        for (int j = 0; j < 16; j++) {
            int q = u8(s, o + 4 + j);
            y[k + j] = (q & 0x0F) * d + m;
            y[k + j + 16] = (q >>> 4) * d + m;
        }
    }
}
