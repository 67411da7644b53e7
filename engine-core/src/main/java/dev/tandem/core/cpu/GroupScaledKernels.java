package dev.tandem.core.cpu;

import static dev.tandem.core.cpu.VectorMath.F;
import static dev.tandem.core.cpu.VectorMath.L;

import dev.tandem.core.DType;
import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;

/**
 * Block types whose values are a per-group scale times a small integer (Q4_0: {@code d·(q - 8)} per 32-value
 * block; Q4_K: {@code d·sc_g·q - dmin·m_g} per 32-value group): a dot product multiplies the integers by the
 * activations into a per-group partial and scales the partial once, as llama.cpp's {@code vec_dot} kernels do
 * (with floats here, where llama.cpp quantizes the activations to int8). The mins come off as
 * {@code Σ_g dmin·m_g·xs_g}, with xs_g the group sums of x, computed once per call for every weight row (Q4_K and
 * Q5_K: one FMA per super-block of its decoded mins against the negated sums, {@link SuperBlockScales}). Per
 * 16 values that leaves the integer extraction and one FMA (the decoded-value path also scaled, and for Q4_K
 * subtracted, each value), and an output's accumulator advances once per group instead of once per vector, so
 * the partials no longer form one FMA latency chain (docs/MEASUREMENTS.md#k-quants).
 *
 * <p>Each batch row runs one kernel, {@link #x1}, per pair of weight rows: for each group in order
 * {@code p = fma(q_c, x_c, p)} over its chunks c from zero, then {@code acc = fma(p, scale, acc)}, and the type's mins the same way; the result is
 * the butterfly's lane sum of acc ({@link VectorMath#laneSums}), less any separate mins chain. So a row's result does
 * not depend on the batch. These are the float-activation kernels (the CUDA backend's arithmetic, and
 * {@code -Dtandem.activations=float}); by default every one of these types multiplies int8 activations over its lanes
 * ({@link LaneTiles}), so their k-row passes are there, and here k rows run the one-row kernel k times, each pair's
 * shared work ({@link #prepare}) done once (the tiles that decoded a block once for two to four rows were 800 lines
 * of near-copies: docs/PERFORMANCE.md). The kernels stay one per type, not one with the decode passed in: a vector
 * helper C2 does not inline gets its vectors boxed.
 */
abstract class GroupScaledKernels extends WeightKernels {
    /** Whether the kernels take the group sums of x (types with mins). */
    private final boolean groupSums;
    /** Values per group of {@link #groupSums}: 32, or Q2_K's 16. */
    private final int groupSize;

    GroupScaledKernels(DType type, boolean groupSums) {
        this(type, groupSums, 32);
    }

    GroupScaledKernels(DType type, boolean groupSums, int groupSize) {
        super(type);
        this.groupSums = groupSums;
        this.groupSize = groupSize;
    }

    /** Weight rows j and j + q against batch row r; {@code xs} the group sums of x, or null. */
    abstract void x1(float[] out, float[] x, float[] xs, int r, MemorySegment w, long rowBytes, int n, int d, int j, int q,
                     float[] lanes);

    /** What the kernels take of x besides x itself ({@code xs}): the group sums of each batch row for types with mins, or null. */
    float[] xTerms(float[] x, int rows, int n) {
        return groupSums ? groupSums(x, rows, n, groupSize) : null;
    }

    /** Floats of scratch the kernels need in {@code lanes} after a tile's 8·L (Q4_K: a row pair's super-block scales). */
    int scratchFloats(int n) {
        return 0;
    }

    /**
     * Called once per weight row pair (j, j + q) before its kernels, to decode what they share across batch rows
     * into {@code lanes} from {@code 8·L}; a method of its own so that C2 compiles it apart from the kernels.
     */
    void prepare(MemorySegment w, long rowBytes, int n, int j, int q, float[] lanes) {}

    /** Whether this machine's vectors can run the kernels; else {@link WeightKernels}' decoded-buffer path. */
    boolean kernelsApply() {
        return BlockLoads.VECTOR_BLOCKS;
    }

    /** Pairs of weight rows (features j, j + q), each prepared once, then against every batch row. */
    @Override
    void range(float[] out, float[] x, int rows, MemorySegment w, int n, int d, int j0, int j1) {
        if (!kernelsApply()) { // e.g. 128-bit vectors: the scalar decoder and the decoded-buffer path
            super.range(out, x, rows, w, n, d, j0, j1);
            return;
        }
        long rowBytes = type.byteSize(n);
        float[] xs = xTerms(x, rows, n);
        float[] lanes = new float[8 * L + scratchFloats(n)];
        int q = (j1 - j0) / 2;
        for (int j = j0; j < j0 + q; j++) {
            prepare(w, rowBytes, n, j, q, lanes);
            for (int r = 0; r < rows; r++) {
                x1(out, x, xs, r, w, rowBytes, n, d, j, q, lanes);
            }
        }
        if ((j1 - j0) % 2 != 0) { // the last feature alone: both "rows" of the pair are it
            prepare(w, rowBytes, n, j1 - 1, 0, lanes);
            for (int r = 0; r < rows; r++) {
                x1(out, x, xs, r, w, rowBytes, n, d, j1 - 1, 0, lanes);
            }
        }
    }

    /**
     * A kernel's two results: the lane sums of weight row j's accumulator, at {@code lanes[0 ..]}, into {@code out[o]}
     * ({@code o = r d + j}), then weight row j + q's, at {@code lanes[L ..]}, into {@code out[o + q]}.
     */
    static void storePair(float[] out, float[] lanes, int o, int q) {
        VectorMath.laneSums(lanes, 2);
        out[o] = lanes[0];
        out[o + q] = lanes[1];
    }

    /** {@link #storePair} of the accumulators {@code a0} (weight row j) and {@code a1} (row j + q), through {@code lanes}. */
    static void storePair(float[] out, float[] lanes, FloatVector a0, FloatVector a1, int o, int q) {
        a0.intoArray(lanes, 0);
        a1.intoArray(lanes, L);
        storePair(out, lanes, o, q);
    }

    /** Scale or min number g (0..7) of {@link dev.tandem.core.codec.KQuantScales#packedScales}/{@code packedMins}. */
    static int six(long packed, int g) {
        return (int) (packed >>> (8 * g)) & 0xFF;
    }

    /** The sums of each {@code size}-value group of every batch row, in a fixed order (chunks lane-wise, then the butterfly). */
    static float[] groupSums(float[] x, int rows, int n, int size) {
        int groups = n / size;
        float[] xs = new float[rows * groups];
        for (int g = 0; g < rows * groups; g++) {
            FloatVector s = FloatVector.fromArray(F, x, size * g);
            for (int l = L; l < size; l += L) {
                s = s.add(FloatVector.fromArray(F, x, size * g + l));
            }
            xs[g] = VectorMath.sum(s);
        }
        return xs;
    }

}
