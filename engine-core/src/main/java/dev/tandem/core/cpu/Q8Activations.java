package dev.tandem.core.cpu;

import static dev.tandem.core.cpu.VectorMath.F;
import static dev.tandem.core.cpu.VectorMath.L;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * Batch rows of x quantized to int8 as llama.cpp quantizes them for its dot products on x86 (per 32-value block for
 * Q4_0, {@code quantize_row_q8_0}: {@code d = amax / 127}, {@code q = round(x / d)} rounding half to even, d then kept
 * as an F16; per 256 values for the K-quants, {@code quantize_row_q8_K}), laid out for the lane kernels
 * ({@link LaneTiles}): per group of 32 lanes (blocks of 32 values, or Q6_K's and Q3_K's sub-blocks of 16), one run of 32 shorts
 * per value of a lane, run i holding that value of every lane of the group. Q4's runs follow the nibble order of
 * {@link Q4_0Lanes} ({@link #VALUE}); Q5_K's, Q6_K's and Q3_K's are in value order, Q5_K's with a 33rd run of zeros (its
 * weights come three to a short). Beside them, per lane: the offset the weights' zero point takes off ({@code 8·Σq};
 * Q6_K: {@code 32·Σq} over each half of a sub-block, two per lane, Q3_K {@code 4·Σq} as well; Q5_K's weights are signed, without one), d and
 * {@code d·Σq}.
 * The d are stored in the order the kernels' int lanes see the lanes (even lanes of a vector's span, then odd ones).
 */
final class Q8Activations {
    /** Short lanes per vector: lanes per part of a group. */
    static final int LS = 2 * L;
    /** Which of a block's values is nibble run {@code i} (i = 4t + nibble): the order of a repacked short's nibbles. */
    static final int[] VALUE = new int[32];
    /** The run of value e. */
    private static final int[] RUN = new int[32];
    private static final float ROUND = 0x1.8p23f; // adding and taking it off rounds to an integer, half to even
    private static final VectorSpecies<Integer> I = VectorSpecies.of(int.class, F.vectorShape());
    /** Shorts, as many as F has lanes: an int vector narrowed. */
    private static final VectorSpecies<Short> HALF = VectorSpecies.of(short.class, VectorShape.forBitSize(F.vectorBitSize() / 2));
    /** Where lane k of a group starts in x: {@code 32·k} or {@code 16·k}. */
    private static final int[] STARTS32 = new int[32], STARTS16 = new int[32];

    static {
        for (int k = 0; k < 32; k++) {
            STARTS32[k] = 32 * k;
            STARTS16[k] = 16 * k;
        }
        for (int t = 0; t < 8; t++) {
            int[] values = {2 * t, 2 * t + 16, 2 * t + 1, 2 * t + 17};
            for (int nib = 0; nib < 4; nib++) {
                VALUE[4 * t + nib] = values[nib];
                RUN[values[nib]] = 4 * t + nib;
            }
        }
    }

    /**
     * How x is cut and laid out, per weight type: values sharing one d, values per lane, runs per lane (a run past the
     * values holds zeros), the weights' zero point, and whether runs follow the nibble order ({@link #VALUE}).
     */
    enum Layout {
        Q4_0(32, 32, 32, 8, true), Q4_K(256, 32, 32, 8, true), Q5_K(256, 32, 33, 0, false), Q6_K(256, 16, 16, 32, false),
        Q3_K(256, 16, 16, 4, false), Q5_0(32, 32, 33, 0, false);

        final int span, laneValues, runs, zero;
        final boolean nibbleOrder;
        /** Offsets per lane: one, or (16-value lanes, whose kernels run a chain per half) one per half. */
        final int halves;

        Layout(int span, int laneValues, int runs, int zero, boolean nibbleOrder) {
            this.span = span;
            this.laneValues = laneValues;
            this.runs = runs;
            this.zero = zero;
            this.nibbleOrder = nibbleOrder;
            this.halves = laneValues == 16 ? 2 : 1;
        }
    }

    final int groups;
    /** Per row and group: 32 runs (Q5_K: 33, Q6_K and Q3_K: 16) of 32 quantized values. */
    final short[] q;
    /**
     * Per row and group, per lane: {@code zero·Σq}, wrapped to 16 bits as the kernels' sums are; 16-value lanes: the 32 first
     * halves' then the 32 second halves'.
     */
    final short[] offsets;
    /** Per row and lane, in lane order: d. */
    final float[] scales;
    /** Per row and lane, in lane order: {@code d·Σq}, the lane's sum as the kernels see x (Q4_1's, Q5_K's, Q5_0's and Q5_1's float steps). */
    final float[] sums;

    /**
     * The K-quants: x quantized per 256 values as llama.cpp's {@code quantize_row_q8_K} does for the K-quants' dot
     * products ({@code 1/d = -127 / m}, m the first value of the largest magnitude, d kept as a float), each lane then
     * taking that d; Q4_0: per 32-value block as its {@code quantize_row_q8_0}.
     */
    Q8Activations(float[] x, int rows, int n, Layout layout) {
        int lanesPerRow = n / layout.laneValues, per = layout.laneValues, halves = layout.halves;
        groups = (lanesPerRow + 31) / 32;
        q = new short[rows * groups * 32 * layout.runs];
        offsets = new short[rows * groups * 32 * halves];
        scales = new float[rows * groups * 32];
        sums = new float[rows * groups * 32];
        float[] dLane = new float[32], idLane = new float[32];
        int[] first = new int[32], second = new int[32]; // per lane: Σq (16-value lanes: of its first and second half)
        for (int r = 0; r < rows; r++) {
            float d = 0, id = 0;
            for (int g = 0; g < groups; g++) {
                int lanes = Math.min(32, lanesPerRow - 32 * g), rg = r * groups + g, xg = r * n + 32 * per * g;
                for (int k = 0; k < lanes; k++) {
                    int xo = xg + per * k;
                    if (per * k % layout.span == 0) { // the scale of this lane and the next span / per - 1 (a group starts a span)
                        float largest = largest(x, xo, layout.span);
                        if (layout.span == 256) {
                            float m = x[xo + first(x, xo, layout.span, largest)]; // the first value of that magnitude, with its sign
                            id = largest != 0 ? -127f / m : 0;
                            d = largest != 0 ? 1 / id : 0;
                        } else {
                            float exact = largest / 127;
                            id = exact != 0 ? 1 / exact : 0;
                            d = Float.float16ToFloat(Float.floatToFloat16(exact)); // kept as F16, as llama.cpp's block_q8_0 keeps it
                        }
                    }
                    dLane[k] = d;
                    idLane[k] = id;
                }
                if (lanes == 32) {
                    transposed(x, xg, per, layout.nibbleOrder, halves, idLane, rg * 32 * layout.runs, first, second);
                } else {
                    byLane(x, xg, per, layout.nibbleOrder, halves, lanes, idLane, rg * 32 * layout.runs, first, second);
                }
                for (int k = 0; k < lanes; k++) {
                    offsets[rg * 32 * halves + k] = (short) (layout.zero * first[k]);
                    if (halves == 2) {
                        offsets[rg * 64 + 32 + k] = (short) (layout.zero * second[k]);
                    }
                    int part = k / LS, lane = k % LS, at = rg * 32 + part * LS + (lane % 2) * (LS / 2) + lane / 2;
                    scales[at] = dLane[k];
                    sums[at] = dLane[k] * (first[k] + second[k]);
                }
            }
        }
    }

    /** The largest magnitude of {@code x[xo, xo + span)}. */
    private static float largest(float[] x, int xo, int span) {
        FloatVector amax = FloatVector.fromArray(F, x, xo).abs();
        for (int e = L; e < span; e += L) {
            amax = amax.max(FloatVector.fromArray(F, x, xo + e).abs());
        }
        return amax.reduceLanes(VectorOperators.MAX); // max: the same whatever the order
    }

    /**
     * The first e of the span with {@code |x[xo + e]| == largest}, or its last e when none is (largest NaN: no value
     * equals it).
     */
    private static int first(float[] x, int xo, int span, float largest) {
        for (int e = 0; e < span; e += L) {
            VectorMask<Float> at = FloatVector.fromArray(F, x, xo + e).abs().compare(VectorOperators.EQ, largest);
            if (at.anyTrue()) {
                return e + at.firstTrue();
            }
        }
        return span - 1;
    }

    /**
     * A whole group's runs, L lanes at a time: run i's values of L lanes gathered (value i of a lane is x's
     * {@code per·k + i}, {@link #VALUE} in nibble order), rounded with each lane's scale and stored together, the lanes'
     * sums kept in vectors: where a lane at a time wrote its values 32 shorts apart.
     */
    private void transposed(float[] x, int xg, int per, boolean nibbleOrder, int halves, float[] idLane, int at, int[] first, int[] second) {
        int[] starts = per == 32 ? STARTS32 : STARTS16;
        for (int k0 = 0; k0 < 32; k0 += L) {
            FloatVector id = FloatVector.fromArray(F, idLane, k0);
            IntVector s1 = IntVector.zero(I), s2 = s1;
            for (int i = 0; i < per; i++) {
                FloatVector v = FloatVector.fromArray(F, x, xg + (nibbleOrder ? VALUE[i] : i), starts, k0);
                IntVector iv = (IntVector) v.mul(id).add(ROUND).sub(ROUND).min(127f).convert(VectorOperators.F2I, 0);
                ((ShortVector) iv.convertShape(VectorOperators.I2S, HALF, 0)).intoArray(q, at + 32 * i + k0);
                boolean inFirst = halves == 1 || i < per / 2;
                s1 = inFirst ? s1.add(iv) : s1;
                s2 = inFirst ? s2 : s2.add(iv);
            }
            s1.intoArray(first, k0);
            s2.intoArray(second, k0);
        }
    }

    /** {@link #transposed} for a row's last group of fewer lanes, a lane at a time. */
    private void byLane(float[] x, int xg, int per, boolean nibbleOrder, int halves, int lanes, float[] idLane, int at, int[] first,
                        int[] second) {
        int[] ints = new int[per];
        for (int k = 0; k < lanes; k++) {
            for (int e = 0; e < per; e += L) {
                FloatVector v = FloatVector.fromArray(F, x, xg + per * k + e).mul(idLane[k]).add(ROUND).sub(ROUND).min(127f);
                ((IntVector) v.convert(VectorOperators.F2I, 0)).intoArray(ints, e);
            }
            first[k] = 0;
            second[k] = 0;
            for (int e = 0; e < per; e++) {
                q[at + k + 32 * (nibbleOrder ? RUN[e] : e)] = (short) ints[e];
                first[k] += halves == 1 || e < per / 2 ? ints[e] : 0;
                second[k] += halves == 2 && e >= per / 2 ? ints[e] : 0;
            }
        }
    }
}
