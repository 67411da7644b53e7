package dev.tandem.core.cpu;

import static dev.tandem.core.cpu.VectorMath.F;
import static dev.tandem.core.cpu.VectorMath.L;

import dev.tandem.core.DType;
import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;

/**
 * Q4_0 and Q4_1 weights: 32-value blocks of an F16 scale d (Q4_1: and an F16 min m) and 16 bytes of nibbles
 * (values 0..15 in the low nibbles, 16..31 in the high ones), each value {@code d·(q - 8)} (Q4_0) or
 * {@code d·q + m} (Q4_1). The arithmetic every path shares is {@link GroupScaledKernels}': per block,
 * {@code p = Σ (q - bias)·x} over its low chunks then its high chunks, then {@code acc = fma(p, d, acc)}; for
 * Q4_1 the mins come on at the end ({@link #mins}, a pass of its own after the vector loop, as
 * {@link LegacyBlockKernels} found beside it 1.7x slower).
 *
 * <p>Q4_0 on AVX-512 runs its one-row tile through a table of the levels {@code q - 8} ({@link NibbleLevelKernels},
 * the same products, so bitwise the same results): one table lookup per half block instead of masking,
 * subtracting and converting made one-row decoding 1.5x faster, and 1.2x more since the lookup is in an int table
 * (docs/MEASUREMENTS.md#k-quants). Q4_1 does the same through a table of {@code q} (its mins added after, as
 * on the integer path): 1.13x faster one-row matmuls (bench matmul, 8 MiB, one thread pinned, 4 alternated pairs).
 */
final class FourBitBlockKernels extends GroupScaledKernels {
    private final int blockBytes;
    private final int qs; // where a block's nibbles start
    private final int bias;
    private final boolean mins;
    /** Q4_0's one-row tile where the level table fits a vector; else null. */
    private final NibbleLevelKernels table;

    FourBitBlockKernels(DType type) {
        this(type, NibbleLevelKernels.TABLE_IN_VECTOR);
    }

    /** {@code levelTable}: the one-row tile through {@link NibbleLevelKernels}' level table (tests compare both ways). */
    FourBitBlockKernels(DType type, boolean levelTable) {
        super(type, type == DType.Q4_1);
        if (type != DType.Q4_0 && type != DType.Q4_1) {
            throw new IllegalArgumentException(type + " is not Q4_0 or Q4_1");
        }
        this.mins = type == DType.Q4_1;
        this.blockBytes = type.blockBytes();
        this.qs = mins ? 4 : 2;
        this.bias = mins ? 0 : 8;
        this.table = !levelTable ? null : mins ? NibbleLevelKernels.q4_1() : NibbleLevelKernels.q4_0();
    }

    @Override
    void decodeVector(MemorySegment w, long row, int n, float[] buf, int b) {
        for (int blk = 0; blk < n / 32; blk++) {
            long o = row + (long) blockBytes * blk;
            FloatVector dv = FloatVector.broadcast(F, BlockLoads.leadingScale(w, o));
            float m = mins ? BlockLoads.leadingScale(w, o + 2) : 0;
            for (int h = 0; h < 32; h += 16) {
                for (int e = 0; e < 16; e += L) { // the codec's arithmetic: (q - bias)·d, then Q4_1's + m
                    BlockLoads.store(BlockLoads.q4Half(BlockLoads.q4Bytes(w, o + qs + e), h, bias).mul(dv), mins, m, buf, b + 32 * blk + h + e);
                }
            }
        }
    }

    /** Weight rows j and j + q against batch row r. */
    @Override
    void x1(float[] out, float[] x, float[] xs, int r, MemorySegment w, long rowBytes, int n, int d, int j, int q,
            float[] lanes) {
        long w0 = j * rowBytes, w1 = w0 + q * rowBytes;
        if (table != null) { // the same products and chains as below, looked up instead of converted
            table.oneRow(x, r, w, w0, w1, n, blockBytes, qs, lanes);
            store(out, lanes, r, d, j, q, w, w0, w1, xs, n / 32);
            return;
        }
        int xo = r * n;
        FloatVector a0 = FloatVector.zero(F), a1 = a0;
        for (int b = 0; b < n / 32; b++) {
            long o0 = w0 + (long) blockBytes * b, o1 = w1 + (long) blockBytes * b;
            int i = xo + 32 * b;
            FloatVector p0 = FloatVector.zero(F), p1 = p0;
            for (int e = 0; e < 16; e += L) { // low nibbles: values 0..15
                FloatVector v = FloatVector.fromArray(F, x, i + e);
                p0 = BlockLoads.q4Low(BlockLoads.q4Bytes(w, o0 + qs + e), bias).fma(v, p0);
                p1 = BlockLoads.q4Low(BlockLoads.q4Bytes(w, o1 + qs + e), bias).fma(v, p1);
            }
            for (int e = 0; e < 16; e += L) { // high nibbles: values 16..31
                FloatVector v = FloatVector.fromArray(F, x, i + 16 + e);
                p0 = BlockLoads.q4High(BlockLoads.q4Bytes(w, o0 + qs + e), bias).fma(v, p0);
                p1 = BlockLoads.q4High(BlockLoads.q4Bytes(w, o1 + qs + e), bias).fma(v, p1);
            }
            a0 = p0.fma(FloatVector.broadcast(F, BlockLoads.leadingScale(w, o0)), a0);
            a1 = p1.fma(FloatVector.broadcast(F, BlockLoads.leadingScale(w, o1)), a1);
        }
        a0.intoArray(lanes, 0);
        a1.intoArray(lanes, L);
        store(out, lanes, r, d, j, q, w, w0, w1, xs, n / 32);
    }

    /**
     * {@code Σ_b m_b·xs_b} of the weight row at {@code row} against the group sums from {@code xg}: four chains
     * over blocks b ≡ 0, 1, 2, 3 (mod 4), then added in that order. One chain over 128 blocks waits on 128
     * dependent FMAs per output (a 4096-wide Q4_1 row: 1.5x the whole vector loop); every path calls this, so
     * a result does not depend on the batch. Rows are whole blocks; n / 32 need not be a multiple of 4.
     */
    private float mins(MemorySegment w, long row, float[] xs, int xg, int groups) {
        float m0 = 0, m1 = 0, m2 = 0, m3 = 0;
        int b = 0;
        for (; b + 4 <= groups; b += 4) {
            long o = row + (long) blockBytes * b + 2;
            m0 = Math.fma(BlockLoads.leadingScale(w, o), xs[xg + b], m0);
            m1 = Math.fma(BlockLoads.leadingScale(w, o + blockBytes), xs[xg + b + 1], m1);
            m2 = Math.fma(BlockLoads.leadingScale(w, o + 2L * blockBytes), xs[xg + b + 2], m2);
            m3 = Math.fma(BlockLoads.leadingScale(w, o + 3L * blockBytes), xs[xg + b + 3], m3);
        }
        for (; b < groups; b++) {
            m0 = Math.fma(BlockLoads.leadingScale(w, row + (long) blockBytes * b + 2), xs[xg + b], m0);
        }
        return ((m0 + m1) + m2) + m3;
    }

    /**
     * The kernel's two results, as {@link GroupScaledKernels#storePair}, plus for Q4_1 the mins of each weight row (w0,
     * w1) against batch row r.
     */
    private void store(float[] out, float[] lanes, int r, int d, int j, int q, MemorySegment w, long w0, long w1, float[] xs,
                       int groups) {
        VectorMath.laneSums(lanes, 2);
        float s0 = lanes[0], s1 = lanes[1];
        if (mins) {
            s0 += mins(w, w0, xs, r * groups, groups);
            s1 += mins(w, w1, xs, r * groups, groups);
        }
        out[r * d + j] = s0;
        out[r * d + j + q] = s1;
    }
}
