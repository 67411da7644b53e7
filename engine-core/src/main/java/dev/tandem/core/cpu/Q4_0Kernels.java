package dev.tandem.core.cpu;

import static dev.tandem.core.cpu.VectorMath.F;
import static dev.tandem.core.cpu.VectorMath.L;

import dev.tandem.core.DType;
import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;

/** Q4_0 weights: vector decode of the nibbles, and a one-row kernel over two weight rows. */
final class Q4_0Kernels extends WeightKernels {
    Q4_0Kernels() {
        super(DType.Q4_0, 2);
    }

    @Override
    void decodeVector(MemorySegment w, long row, int n, float[] buf, int b) {
        for (int blk = 0; blk < n / 32; blk++) {
            long o = row + 18L * blk;
            FloatVector dv = FloatVector.broadcast(F, BlockLoads.scale(w, o));
            for (int e = 0; e < 16; e += L) { // bytes e.. hold values e.. (low nibbles) and 16 + e.. (high)
                IntVector q = BlockLoads.q4Bytes(w, o, e);
                BlockLoads.q4Low(q, dv).intoArray(buf, b + 32 * blk + e);
                BlockLoads.q4High(q, dv).intoArray(buf, b + 32 * blk + 16 + e);
            }
        }
    }

    /** Two weight rows (features j, j + q): Q4_0's decode is long enough that four rows exceed C2's inlining budget. */
    @Override
    void fused(float[] out, float[] x, int r, MemorySegment w, long rowBytes, int n, int d, int j, int q) {
        if (L == 16) {
            fused16(out, x, r, w, rowBytes, n, d, j, q);
            return;
        }
        long w0 = j * rowBytes, w1 = w0 + q * rowBytes;
        int xo = r * n;
        FloatVector a0 = FloatVector.zero(F), a1 = a0;
        for (int b = 0; b < n / 32; b++) {
            long o = 18L * b;
            FloatVector d0 = FloatVector.broadcast(F, BlockLoads.scale(w, w0 + o));
            FloatVector d1 = FloatVector.broadcast(F, BlockLoads.scale(w, w1 + o));
            for (int e = 0; e < 16; e += L) { // low nibbles are values 0..15, in order
                FloatVector v = FloatVector.fromArray(F, x, xo + 32 * b + e);
                a0 = BlockLoads.q4Low(w, w0 + o, e, d0).fma(v, a0);
                a1 = BlockLoads.q4Low(w, w1 + o, e, d1).fma(v, a1);
            }
            for (int e = 0; e < 16; e += L) { // high nibbles are values 16..31
                FloatVector v = FloatVector.fromArray(F, x, xo + 32 * b + 16 + e);
                a0 = BlockLoads.q4High(w, w0 + o, e, d0).fma(v, a0);
                a1 = BlockLoads.q4High(w, w1 + o, e, d1).fma(v, a1);
            }
        }
        // stored lanes, not VectorMath.sum: after this kernel's decode C2 is past its inlining cut-off, the
        // shuffle butterflies were left out of line with their vectors boxed (Q4_0: 1 KB allocated per call)
        float[] lanes = new float[2 * L];
        a0.intoArray(lanes, 0);
        a1.intoArray(lanes, L);
        out[r * d + j] = VectorMath.sumStored(lanes, 0);
        out[r * d + j + q] = VectorMath.sumStored(lanes, L);
    }

    /**
     * {@link #fused} where a vector holds 16 floats (AVX-512): a block's 16 bytes are loaded and widened once
     * for its low half (values 0..15) and its high half (16..31), which are also the chain's two chunks in
     * value order, as on the decoded path. Still two rows: a third or fourth passes C2's node-count cut-off
     * for inlining (PrintInlining: NodeCountInliningCutoff) and the vectors are boxed, 5-8x slower.
     */
    private static void fused16(float[] out, float[] x, int r, MemorySegment w, long rowBytes, int n, int d, int j, int q) {
        long w0 = j * rowBytes, w1 = w0 + q * rowBytes;
        int xo = r * n;
        FloatVector a0 = FloatVector.zero(F), a1 = a0;
        for (int b = 0; b < n / 32; b++) {
            long o = 18L * b;
            FloatVector lo = FloatVector.fromArray(F, x, xo + 32 * b), hi = FloatVector.fromArray(F, x, xo + 32 * b + 16);
            FloatVector d0 = FloatVector.broadcast(F, BlockLoads.scale(w, w0 + o));
            IntVector q0 = BlockLoads.q4Bytes(w, w0 + o, 0);
            a0 = BlockLoads.q4High(q0, d0).fma(hi, BlockLoads.q4Low(q0, d0).fma(lo, a0));
            FloatVector d1 = FloatVector.broadcast(F, BlockLoads.scale(w, w1 + o));
            IntVector q1 = BlockLoads.q4Bytes(w, w1 + o, 0);
            a1 = BlockLoads.q4High(q1, d1).fma(hi, BlockLoads.q4Low(q1, d1).fma(lo, a1));
        }
        float[] lanes = new float[2 * L];
        a0.intoArray(lanes, 0);
        a1.intoArray(lanes, L);
        out[r * d + j] = VectorMath.sumStored(lanes, 0);
        out[r * d + j + q] = VectorMath.sumStored(lanes, L);
    }
}
