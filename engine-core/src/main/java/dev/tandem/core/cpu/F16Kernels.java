package dev.tandem.core.cpu;

import static dev.tandem.core.cpu.VectorMath.F;
import static dev.tandem.core.cpu.VectorMath.L;

import dev.tandem.core.DType;
import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;

/** F16 weights: vector decode of halves, and a one-row kernel over two weight rows (four exceed C2's inlining budget). */
final class F16Kernels extends WeightKernels {
    F16Kernels() {
        super(DType.F16, 2);
    }

    @Override
    void decodeVector(MemorySegment w, long row, int n, float[] buf, int b) {
        int full = n / L * L;
        for (int i = 0; i < full; i += L) {
            BlockLoads.f16(w, row + 2L * i).intoArray(buf, b + i);
        }
        if (full < n) {
            BlockLoads.f16(w, row + 2L * full, F.indexInRange(full, n)).intoArray(buf, b + full);
        }
    }

    /** Two weight rows (features j, j + q) against batch row r, decoded in registers. */
    @Override
    void fused(float[] out, float[] x, int r, MemorySegment w, long rowBytes, int n, int d, int j, int q) {
        long w0 = j * rowBytes, w1 = w0 + q * rowBytes;
        int xo = r * n;
        FloatVector a0 = FloatVector.zero(F), a1 = a0;
        for (int i = 0; i < n; i += L) {
            FloatVector v = FloatVector.fromArray(F, x, xo + i);
            a0 = BlockLoads.f16(w, w0 + 2L * i).fma(v, a0);
            a1 = BlockLoads.f16(w, w1 + 2L * i).fma(v, a1);
        }
        out[r * d + j] = VectorMath.sum(a0);
        out[r * d + j + q] = VectorMath.sum(a1);
    }
}
