package dev.tandem.core.codec;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Q4_1 (20 bytes): F16 scale d and min m, 16 bytes of nibbles (low: values 0..15, high: 16..31); value = q * d + m.
 * Encoded as GGML's {@code quantize_row_q4_1_ref} (what {@code llama-quantize} writes without an importance matrix);
 * decoded with the arithmetic of GGML's {@code dequantize_row_*}, in the same order (no fused multiply-add).
 */
public final class Q4_1Codec extends BlockCodec {
    public Q4_1Codec() {
        super(32, 20, true);
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

    /** The block's range in 15 steps from its minimum; each value rounds half up to its step, at most 15. */
    @Override
    protected void encodeBlock(float[] x, int k, MemorySegment dst, long o) {
        float min = min(x, k, 32);
        float id = scaleAndMin(min, max(x, k, 32), 15, dst, o);
        for (int j = 0; j < 16; j++) {
            int lo = Math.min(15, (byte) (int) ((x[k + j] - min) * id + 0.5f)); // C's (int8_t) cast, then MIN(15, .)
            int hi = Math.min(15, (byte) (int) ((x[k + 16 + j] - min) * id + 0.5f));
            dst.set(ValueLayout.JAVA_BYTE, o + 4 + j, (byte) (lo | (hi << 4)));
        }
    }
}
