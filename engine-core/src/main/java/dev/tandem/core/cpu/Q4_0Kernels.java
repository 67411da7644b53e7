package dev.tandem.core.cpu;

import static dev.tandem.core.cpu.VectorMath.F;
import static dev.tandem.core.cpu.VectorMath.L;

import dev.tandem.core.DType;
import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;

/** Q4_0 weights: vector decode of the nibbles, and a one-row kernel over two weight rows. */
final class Q4_0Kernels extends WeightKernels {
    Q4_0Kernels() {
        super(DType.Q4_0);
    }

    @Override
    int fusedWidth() {
        return 2;
    }

    @Override
    void decodeVector(MemorySegment w, long row, int n, float[] buf, int b) {
        for (int blk = 0; blk < n / 32; blk++) {
            long o = row + 18L * blk;
            FloatVector dv = FloatVector.broadcast(F, BlockLoads.scale(w, o));
            for (int e = 0; e < 16; e += L) {
                BlockLoads.q4Low(w, o, e, dv).intoArray(buf, b + 32 * blk + e);
                BlockLoads.q4High(w, o, e, dv).intoArray(buf, b + 32 * blk + 16 + e);
            }
        }
    }

    /** Two weight rows (features j, j + q): Q4_0's decode is long enough that four rows exceed C2's inlining budget. */
    @Override
    void fused(float[] out, float[] x, int r, MemorySegment w, long rowBytes, int n, int d, int j, int q) {
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
        out[r * d + j] = VectorMath.sum(a0);
        out[r * d + j + q] = VectorMath.sum(a1);
    }
}
