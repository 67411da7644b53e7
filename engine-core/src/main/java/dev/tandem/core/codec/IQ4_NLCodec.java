package dev.tandem.core.codec;

import java.lang.foreign.MemorySegment;

/**
 * IQ4_NL (18 bytes): an F16 scale {@code d}, then 16 bytes of 4-bit indices laid out as Q4_0's (low nibble of
 * byte i is value i, high nibble value i + 16) into a fixed non-linear table of 16 levels, denser near zero
 * where weights cluster; value = {@code d * level}. Encoded as GGML's {@code quantize_iq4_nl} without an importance
 * matrix (what {@code llama-quantize} writes: a search over 15 scales); decoded as GGML's {@code dequantize_row_iq4_nl}.
 */
public final class IQ4_NLCodec extends BlockCodec {
    /** GGML's {@code kvalues_iq4nl}. */
    private static final byte[] LEVELS = {-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113};

    /** The 16 levels, index by index (a copy). */
    public static byte[] levels() {
        return LEVELS.clone();
    }

    public IQ4_NLCodec() {
        super(32, 18, true);
    }

    @Override
    protected void decodeBlock(MemorySegment s, long o, float[] y, int k) {
        decodeNibbleLevels(s, o, y, k, LEVELS);
    }

    /**
     * The scale that maps the value of largest magnitude onto the outermost level, refined by least squares
     * (weights x squared) and by 15 trial scales around it; the levels are then chosen again for the scale as
     * stored (GGML's {@code quantize_row_iq4_nl_impl} with {@code ntry = 7}, one 32-value block).
     */
    @Override
    protected void encodeBlock(float[] x, int k, MemorySegment dst, long o) {
        float max = KQuantRounding.signedMax(x, k, 32);
        float d = 0;
        if (Math.abs(max) >= KQuantRounding.GROUP_MAX_EPS) {
            d = -max / LEVELS[0];
            float id = 1 / d, sumQX = 0, sumQ2 = 0;
            for (int j = 0; j < 32; j++) {
                float q = LEVELS[nearestLevel(id * x[k + j])], w = x[k + j] * x[k + j];
                sumQX += w * q * x[k + j];
                sumQ2 += w * q * q;
            }
            d = sumQ2 > 0 ? sumQX / sumQ2 : 0f;
            float best = d * sumQX;
            for (int t = -7; t <= 7; t++) {
                id = (t + LEVELS[0]) / max;
                sumQX = 0;
                sumQ2 = 0;
                for (int j = 0; j < 32; j++) {
                    float q = LEVELS[nearestLevel(id * x[k + j])], w = x[k + j] * x[k + j];
                    sumQX += w * q * x[k + j];
                    sumQ2 += w * q * q;
                }
                if (sumQ2 > 0 && sumQX * sumQX > best * sumQ2) {
                    d = sumQX / sumQ2;
                    best = d * sumQX;
                }
            }
        }
        dst.set(I16, o, Float.floatToFloat16(d));
        float id = d != 0 ? 1 / d : 0f;
        for (int j = 0; j < 16; j++) {
            int lo = nearestLevel(id * x[k + j]), hi = nearestLevel(id * x[k + 16 + j]);
            dst.set(java.lang.foreign.ValueLayout.JAVA_BYTE, o + 2 + j, (byte) (lo | hi << 4));
        }
    }

    /** GGML's {@code best_index_int8}: the index of the level nearest v (the upper one on a tie). */
    private static int nearestLevel(float v) {
        if (v <= LEVELS[0]) {
            return 0;
        }
        if (v >= LEVELS[15]) {
            return 15;
        }
        int lo = 0, hi = 15;
        while (hi - lo > 1) {
            int mid = (lo + hi) / 2;
            if (v < LEVELS[mid]) {
                hi = mid;
            } else {
                lo = mid;
            }
        }
        return v - LEVELS[hi - 1] < LEVELS[hi] - v ? hi - 1 : hi;
    }
}
