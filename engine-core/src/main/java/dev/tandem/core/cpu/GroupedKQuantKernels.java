package dev.tandem.core.cpu;

import static dev.tandem.core.cpu.VectorMath.F;
import static dev.tandem.core.cpu.VectorMath.L;

import dev.tandem.core.DType;
import dev.tandem.core.codec.KQuantScales;
import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;

/**
 * K-quants whose values are {@code d·sc_g·q - dmin·m_g} for their 32-value group g (Q4_K): a dot product splits
 * as llama.cpp's {@code vec_dot_q4_K} splits it, {@code Σ_g d·sc_g·(Σ_{i∈g} q_i·x_i) - Σ_g dmin·m_g·xs_g},
 * with xs_g the group sums of x, computed once per call for every weight row. Per 16 values that leaves the
 * integer extraction and one FMA into a per-group partial (the decoded-value path also scaled and subtracted
 * each value), and the accumulator advances once per group instead of once per vector, so the partials no
 * longer form one FMA latency chain (docs/MEASUREMENTS.md#k-quants).
 *
 * <p>Every path, one batch row ({@link #x1}) or four ({@link #x4}), runs exactly this per (row, feature): for
 * each group in order {@code p = fma(q_c, x_c, p)} over its chunks c from zero, then {@code acc = fma(p, d·sc_g,
 * acc)} and {@code mins = fma(dmin·m_g, xs_g, mins)}; the result is {@link VectorMath#sumStored}(acc) - mins.
 * So a row's result does not depend on the batch. The kernels stay one per type, not one with the decode passed
 * in: a vector helper C2 does not inline gets its vectors boxed (docs/PERFORMANCE.md). Q5_K kernels written the
 * same way (its fifth bits or-ed into the nibbles) ran no faster for one row than its decoded-buffer path and
 * boxed in the four-row tile (3x slower at 16 rows), so Q5_K keeps that path.
 */
abstract class GroupedKQuantKernels extends WeightKernels {
    /** Bytes per 256-value super-block; d, dmin and the 12 scale bytes come first (as in Q4_K and Q5_K). */
    final int blockBytes;

    GroupedKQuantKernels(DType type, int blockBytes) {
        super(type);
        this.blockBytes = blockBytes;
    }

    /** Weight rows j and j + q against batch row r (the mins chains beside the vector loop). */
    abstract void x1(float[] out, float[] x, float[] xs, int r, MemorySegment w, long rowBytes, int n, int d, int j, int q,
                     float[] lanes);

    /** Weight rows j and j + q against batch rows r..r+3: each weight decoded once for four rows; the mins in {@link #mins4}. */
    abstract void x4(float[] out, float[] x, float[] xs, int r, MemorySegment w, long rowBytes, int n, int d, int j, int q,
                     float[] lanes, float[] ms);

    /** Pairs of weight rows (features j, j + q) against groups of four batch rows, then the rows left over one by one. */
    @Override
    void range(float[] out, float[] x, int rows, MemorySegment w, int n, int d, int j0, int j1) {
        if (!BlockLoads.VECTOR_BLOCKS) { // 128-bit vectors: the scalar decoder and the decoded-buffer path
            super.range(out, x, rows, w, n, d, j0, j1);
            return;
        }
        long rowBytes = type.byteSize(n);
        float[] xs = groupSums(x, rows, n);
        float[] lanes = new float[8 * L];
        float[] ms = new float[8];
        int q = (j1 - j0) / 2;
        for (int j = j0; j < j0 + q; j++) {
            int r = 0;
            for (; r + 4 <= rows; r += 4) {
                x4(out, x, xs, r, w, rowBytes, n, d, j, q, lanes, ms);
            }
            for (; r < rows; r++) {
                x1(out, x, xs, r, w, rowBytes, n, d, j, q, lanes);
            }
        }
        if ((j1 - j0) % 2 != 0) { // the last feature alone: both "rows" of the pair are it
            for (int r = 0; r < rows; r++) {
                x1(out, x, xs, r, w, rowBytes, n, d, j1 - 1, 0, lanes);
            }
        }
    }

    /** The sums of each 32-value group of every batch row, in a fixed order (chunks lane-wise, then the butterfly). */
    static float[] groupSums(float[] x, int rows, int n) {
        int groups = n / 32;
        float[] xs = new float[rows * groups];
        for (int g = 0; g < rows * groups; g++) {
            FloatVector s = FloatVector.fromArray(F, x, 32 * g);
            for (int l = L; l < 32; l += L) {
                s = s.add(FloatVector.fromArray(F, x, 32 * g + l));
            }
            xs[g] = VectorMath.sum(s);
        }
        return xs;
    }

    /**
     * The mins terms {@code Σ_g dmin·m_g·xs_g} of weight rows w0 and w1 against batch rows r..r+3, into
     * {@code ms[2b]} and {@code ms[2b + 1]}: for each, one scalar chain over the groups in order, the chain
     * {@link #x1} runs beside its vector loop. A pass of its own for {@link #x4}, whose 16 live vectors leave
     * no registers for 8 scalar chains (scalar floats share the vector register file).
     */
    final void mins4(MemorySegment w, long w0, long w1, int n, float[] xs, int r, float[] ms) {
        int groups = n / 32;
        float m00 = 0, m01 = 0, m10 = 0, m11 = 0, m20 = 0, m21 = 0, m30 = 0, m31 = 0;
        for (int blk = 0; blk < n / 256; blk++) {
            long o0 = w0 + (long) blockBytes * blk, o1 = w1 + (long) blockBytes * blk;
            float dm0 = BlockLoads.scale(w, o0 + 2), dm1 = BlockLoads.scale(w, o1 + 2);
            long mn0 = KQuantScales.packedMins(w, o0 + 4), mn1 = KQuantScales.packedMins(w, o1 + 4);
            for (int g = 0; g < 8; g++) {
                float n0 = dm0 * six(mn0, g), n1 = dm1 * six(mn1, g);
                int xg = r * groups + 8 * blk + g;
                m00 = Math.fma(n0, xs[xg], m00); m01 = Math.fma(n1, xs[xg], m01);
                m10 = Math.fma(n0, xs[xg + groups], m10); m11 = Math.fma(n1, xs[xg + groups], m11);
                m20 = Math.fma(n0, xs[xg + 2 * groups], m20); m21 = Math.fma(n1, xs[xg + 2 * groups], m21);
                m30 = Math.fma(n0, xs[xg + 3 * groups], m30); m31 = Math.fma(n1, xs[xg + 3 * groups], m31);
            }
        }
        ms[0] = m00; ms[1] = m01; ms[2] = m10; ms[3] = m11; ms[4] = m20; ms[5] = m21; ms[6] = m30; ms[7] = m31;
    }

    /** Scale or min number g (0..7) of {@link KQuantScales#packedScales}/{@link KQuantScales#packedMins}. */
    static int six(long packed, int g) {
        return (int) (packed >>> (8 * g)) & 0xFF;
    }

}
