package dev.tandem.core.codec;

import java.lang.foreign.MemorySegment;

/**
 * Q5_0 (22 bytes): F16 scale d, 32 fifth bits, 16 bytes of nibbles; value = (q - 16) * d.
 * Read only; decoded with the arithmetic of GGML's {@code dequantize_row_*}, in the same order (no fused multiply-add).
 */
public final class Q5_0Codec extends BlockCodec {
    public Q5_0Codec() {
        super(32, 22);
    }

    @Override
    protected void decodeBlock(MemorySegment s, long o, float[] y, int k) {
        float d = half(s, o);
        int qh = s.get(I32, o + 2);
        for (int j = 0; j < 16; j++) {
            int q = u8(s, o + 6 + j);
            int h0 = ((qh >>> j) << 4) & 0x10;
            int h1 = (qh >>> (j + 12)) & 0x10;
            y[k + j] = (((q & 0x0F) | h0) - 16) * d;
            y[k + j + 16] = (((q >>> 4) | h1) - 16) * d;
        }
    }
}
