package dev.tandem.core.cpu;

import static dev.tandem.core.cpu.VectorMath.F;
import static dev.tandem.core.cpu.VectorMath.L;

import dev.tandem.core.DType;
import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;

/** BF16 weights: vector decode (a 16-bit shift), and a one-row kernel over four weight rows. */
final class BF16Kernels extends WeightKernels {
    BF16Kernels() {
        super(DType.BF16, 4);
    }

    @Override
    void decodeVector(MemorySegment w, long row, int n, float[] buf, int b) {
        int full = n / L * L;
        for (int i = 0; i < full; i += L) {
            BlockLoads.bf16(w, row + 2L * i).intoArray(buf, b + i);
        }
        if (full < n) {
            BlockLoads.bf16(w, row + 2L * full, F.indexInRange(full, n)).intoArray(buf, b + full);
        }
    }

    @Override
    void fused(float[] out, float[] x, int r, MemorySegment w, long rowBytes, int n, int d, int j, int q) {
        long w0 = j * rowBytes, w1 = w0 + q * rowBytes, w2 = w1 + q * rowBytes, w3 = w2 + q * rowBytes;
        int xo = r * n;
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        for (int i = 0; i < n; i += L) {
            FloatVector v = FloatVector.fromArray(F, x, xo + i);
            a0 = BlockLoads.bf16(w, w0 + 2L * i).fma(v, a0);
            a1 = BlockLoads.bf16(w, w1 + 2L * i).fma(v, a1);
            a2 = BlockLoads.bf16(w, w2 + 2L * i).fma(v, a2);
            a3 = BlockLoads.bf16(w, w3 + 2L * i).fma(v, a3);
        }
        VectorMath.sum4(out, r * d + j, q, a0, a1, a2, a3);
    }
}
