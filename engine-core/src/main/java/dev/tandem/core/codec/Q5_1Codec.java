package dev.tandem.core.codec;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Q5_1 (24 bytes): F16 scale d and min m, 32 fifth bits, 16 bytes of nibbles; value = q * d + m.
 * Encoded as GGML's {@code quantize_row_q5_1_ref} (llama-quantize's fallback for K-quant rows that are not whole
 * super-blocks); decoded with the arithmetic of GGML's {@code dequantize_row_*}, in the same order (no fused multiply-add).
 */
public final class Q5_1Codec extends BlockCodec {
    public Q5_1Codec() {
        super(32, 24, true);
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

    @Override
    protected void encodeBlock(float[] x, int k, MemorySegment dst, long o) {
        float min = min(x, k, 32), max = max(x, k, 32);
        float d = (max - min) / 31;
        float id = d != 0 ? 1f / d : 0f;
        dst.set(I16, o, Float.floatToFloat16(d));
        dst.set(I16, o + 2, Float.floatToFloat16(min));
        int qh = 0;
        for (int j = 0; j < 16; j++) {
            int xi0 = (int) ((x[k + j] - min) * id + 0.5f);
            int xi1 = (int) ((x[k + 16 + j] - min) * id + 0.5f);
            dst.set(ValueLayout.JAVA_BYTE, o + 8 + j, (byte) ((xi0 & 0x0F) | ((xi1 & 0x0F) << 4)));
            qh |= ((xi0 & 0x10) >>> 4) << j;
            qh |= ((xi1 & 0x10) >>> 4) << (j + 16);
        }
        dst.set(I32, o + 4, qh);
    }
}
