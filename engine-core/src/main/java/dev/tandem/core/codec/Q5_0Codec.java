package dev.tandem.core.codec;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Q5_0 (22 bytes): F16 scale d, 32 fifth bits, 16 bytes of nibbles; value = (q - 16) * d.
 * Encoded as GGML's {@code quantize_row_q5_0_ref} (llama-quantize's fallback for K-quant rows that are not whole
 * super-blocks); decoded with the arithmetic of GGML's {@code dequantize_row_*}, in the same order (no fused multiply-add).
 */
public final class Q5_0Codec extends BlockCodec {
    public Q5_0Codec() {
        super(32, 22, true);
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

    @Override
    protected void encodeBlock(float[] x, int k, MemorySegment dst, long o) {
        float amax = 0, max = 0;
        for (int j = 0; j < 32; j++) {
            if (amax < Math.abs(x[k + j])) {
                amax = Math.abs(x[k + j]);
                max = x[k + j];
            }
        }
        float d = max / -16;
        float id = d != 0 ? 1f / d : 0f;
        dst.set(I16, o, Float.floatToFloat16(d));
        int qh = 0;
        for (int j = 0; j < 16; j++) {
            int xi0 = Math.min(31, (int) (x[k + j] * id + 16.5f));
            int xi1 = Math.min(31, (int) (x[k + 16 + j] * id + 16.5f));
            dst.set(ValueLayout.JAVA_BYTE, o + 6 + j, (byte) ((xi0 & 0x0F) | ((xi1 & 0x0F) << 4)));
            qh |= ((xi0 & 0x10) >>> 4) << j;
            qh |= ((xi1 & 0x10) >>> 4) << (j + 16);
        }
        dst.set(I32, o + 2, qh);
    }
}
