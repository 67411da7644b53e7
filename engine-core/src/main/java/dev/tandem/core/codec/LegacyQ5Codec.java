package dev.tandem.core.codec;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Q5_0 (22 bytes: an F16 scale d, 32 fifth bits qh, 16 bytes of nibbles; value = (q - 16) * d) and Q5_1 (24 bytes: d
 * and an F16 min m, then the same; value = q * d + m), llama-quantize's fallbacks for K-quant rows that are not whole
 * super-blocks. Encoded as GGML's {@code quantize_row_q5_0_ref} / {@code quantize_row_q5_1_ref}; decoded with the
 * arithmetic of GGML's {@code dequantize_row_*}, in the same order (no fused multiply-add). One class, as in
 * {@code core.cpu.LegacyBlockKernels}: the two store their 5-bit values alike and differ only in the scale.
 */
public final class LegacyQ5Codec extends BlockCodec {
    private final boolean withMin; // Q5_1

    private LegacyQ5Codec(boolean withMin) {
        super(32, withMin ? 24 : 22, true);
        this.withMin = withMin;
    }

    public static LegacyQ5Codec q5_0() {
        return new LegacyQ5Codec(false);
    }

    public static LegacyQ5Codec q5_1() {
        return new LegacyQ5Codec(true);
    }

    /** Byte offset of qh in a block: after d, and m for Q5_1; the nibbles follow it. */
    private int fifthBits() {
        return withMin ? 4 : 2;
    }

    @Override
    protected void decodeBlock(MemorySegment s, long o, float[] y, int k) {
        levels(s, o + fifthBits(), y, k);
        float d = half(s, o);
        if (withMin) {
            float m = half(s, o + 2);
            for (int j = 0; j < 32; j++) {
                y[k + j] = y[k + j] * d + m;
            }
        } else {
            for (int j = 0; j < 32; j++) {
                y[k + j] = (y[k + j] - 16) * d; // exact: q - 16 is a small integer either way
            }
        }
    }

    /** The block's 32 values q (0..31) into y[k..]: the low four bits from the nibbles, the fifth from qh at {@code at}. */
    private static void levels(MemorySegment s, long at, float[] y, int k) {
        int qh = s.get(I32, at);
        for (int j = 0; j < 16; j++) {
            int q = u8(s, at + 4 + j);
            int h0 = ((qh >>> j) << 4) & 0x10;
            int h1 = (qh >>> (j + 12)) & 0x10;
            y[k + j] = (q & 0x0F) | h0;
            y[k + j + 16] = (q >>> 4) | h1;
        }
    }

    @Override
    protected void encodeBlock(float[] x, int k, MemorySegment dst, long o) {
        int[] q = new int[32];
        if (withMin) {
            float min = min(x, k, 32);
            float id = scaleAndMin(min, max(x, k, 32), 31, dst, o);
            for (int j = 0; j < 32; j++) {
                q[j] = (int) ((x[k + j] - min) * id + 0.5f);
            }
        } else {
            float d = KQuantRounding.signedMax(x, k, 32) / -16; // the value of largest magnitude maps to -16 exactly
            float id = d != 0 ? 1f / d : 0f;
            dst.set(I16, o, Float.floatToFloat16(d));
            for (int j = 0; j < 32; j++) {
                q[j] = Math.min(31, (int) (x[k + j] * id + 16.5f));
            }
        }
        long at = o + fifthBits();
        int qh = 0;
        for (int j = 0; j < 16; j++) {
            dst.set(ValueLayout.JAVA_BYTE, at + 4 + j, (byte) ((q[j] & 0x0F) | ((q[j + 16] & 0x0F) << 4)));
            qh |= ((q[j] & 0x10) >>> 4) << j;
            qh |= ((q[j + 16] & 0x10) >>> 4) << (j + 16);
        }
        dst.set(I32, at, qh);
    }
}
