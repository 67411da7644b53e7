package dev.tandem.core.codec;

import java.lang.foreign.MemorySegment;

/**
 * IQ4_NL (18 bytes): an F16 scale {@code d}, then 16 bytes of 4-bit indices laid out as Q4_0's (low nibble of
 * byte i is value i, high nibble value i + 16) into a fixed non-linear table of 16 levels, denser near zero
 * where weights cluster; value = {@code d * level}. Read only; decoded as GGML's {@code dequantize_row_iq4_nl}.
 */
public final class IQ4_NLCodec extends BlockCodec {
    /** GGML's {@code kvalues_iq4nl}. */
    private static final byte[] LEVELS = {-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113};

    /** The 16 levels, index by index (a copy). */
    public static byte[] levels() {
        return LEVELS.clone();
    }

    public IQ4_NLCodec() {
        super(32, 18);
    }

    @Override
    protected void decodeBlock(MemorySegment s, long o, float[] y, int k) {
        float d = half(s, o);
        for (int i = 0; i < 16; i++) {
            int q = u8(s, o + 2 + i);
            y[k + i] = d * LEVELS[q & 0x0F];
            y[k + 16 + i] = d * LEVELS[q >>> 4];
        }
    }
}
