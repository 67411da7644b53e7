package dev.tandem.core.codec;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Q4_0 (18 bytes): an F16 scale {@code d}, then 16 bytes; value {@code i < 16} is the low nibble of byte i,
 * value {@code i >= 16} the high nibble of byte {@code i - 16}; value = {@code d * (nibble - 8)}. Encoded as
 * GGML's {@code quantize_row_q4_0_ref}: the value of largest magnitude maps to -8 exactly.
 */
public final class Q4_0Codec extends BlockCodec {
    /** Nibble q's value before the scale: q - 8. */
    private static final byte[] LEVELS = {-8, -7, -6, -5, -4, -3, -2, -1, 0, 1, 2, 3, 4, 5, 6, 7};

    public Q4_0Codec() {
        super(32, 18, true);
    }

    @Override
    protected void decodeBlock(MemorySegment s, long o, float[] y, int k) {
        decodeNibbleLevels(s, o, y, k, LEVELS); // (q - 8) * d, the same product
    }

    @Override
    protected void encodeBlock(float[] x, int k, MemorySegment dst, long o) {
        float d = KQuantRounding.signedMax(x, k, 32) / -8; // the value of largest magnitude maps to -8 exactly
        float id = d != 0 ? 1 / d : 0;
        dst.set(I16, o, Float.floatToFloat16(d));
        for (int i = 0; i < 16; i++) {
            int lo = Math.min(15, (int) (x[k + i] * id + 8.5f));
            int hi = Math.min(15, (int) (x[k + 16 + i] * id + 8.5f));
            dst.set(ValueLayout.JAVA_BYTE, o + 2 + i, (byte) (lo | (hi << 4)));
        }
    }
}
