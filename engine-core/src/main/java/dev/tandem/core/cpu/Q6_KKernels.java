package dev.tandem.core.cpu;

import static dev.tandem.core.cpu.VectorMath.F;
import static dev.tandem.core.cpu.VectorMath.L;

import dev.tandem.core.DType;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import jdk.incubator.vector.FloatVector;

/** Q6_K weights (the classifier of Q4_K_M/Q5_K_M files): vector decode of the super-blocks, and a one-row kernel over two weight rows. */
final class Q6_KKernels extends WeightKernels {
    Q6_KKernels() {
        super(DType.Q6_K, 2);
    }

    /** Q6_K: 210-byte super-blocks of 128 bytes of low nibbles, 64 of high bit pairs, 16 int8 scales, d. */
    @Override
    void decodeVector(MemorySegment w, long row, int n, float[] buf, int b) {
        for (int blk = 0; blk < n / 256; blk++) {
            long o = row + 210L * blk;
            float d = BlockLoads.scale(w, o + 208);
            for (int half = 0; half < 2; half++) {
                long ql = o + 64L * half, qh = o + 128 + 32L * half, sc = o + 192 + 8L * half;
                int y = b + 256 * blk + 128 * half;
                // one loop body over the quarters keeps C2 within its inlining budget (four unrolled quarters fell
                // back to allocating vector code); L divides 16, so a chunk has one scale
                for (int k = 0; k < 4; k++) {
                    for (int l = 0; l < 32; l += L) {
                        float scale = d * w.get(ValueLayout.JAVA_BYTE, sc + l / 16 + 2 * k);
                        BlockLoads.q6K(w, ql, qh, k, l, scale).intoArray(buf, y + 32 * k + l);
                    }
                }
            }
        }
    }

    /** Two weight rows (features j, j + q) against batch row r, decoded in registers, chunks in value order. */
    @Override
    void fused(float[] out, float[] x, int r, MemorySegment w, long rowBytes, int n, int d, int j, int q) {
        long w0 = j * rowBytes, w1 = w0 + q * rowBytes;
        int xo = r * n;
        float[] scales = new float[32]; // d times each int8 scale of the two rows' current super-blocks
        FloatVector a0 = FloatVector.zero(F), a1 = a0;
        for (int blk = 0; blk < n / 256; blk++) {
            long o0 = w0 + 210L * blk, o1 = w1 + 210L * blk;
            float d0 = BlockLoads.scale(w, o0 + 208), d1 = BlockLoads.scale(w, o1 + 208);
            for (int s = 0; s < 16; s += L) { // the 16 scales of a super-block in one vector operation each, not 16 scalar ones
                BlockLoads.int8s(w, o0 + 192 + s).mul(d0).intoArray(scales, s);
                BlockLoads.int8s(w, o1 + 192 + s).mul(d1).intoArray(scales, 16 + s);
            }
            for (int c = 0; c < 256; c += L) { // chunk c: half c / 128, quarter (c / 32) % 4, offset c % 32
                int half = c >> 7, k = (c >> 5) & 3, l = c & 31;
                long ql = 64L * half, qh = 128 + 32L * half;
                int sc = 8 * half + l / 16 + 2 * k;
                FloatVector v = FloatVector.fromArray(F, x, xo + 256 * blk + c);
                a0 = BlockLoads.q6K(w, o0 + ql, o0 + qh, k, l, scales[sc]).fma(v, a0);
                a1 = BlockLoads.q6K(w, o1 + ql, o1 + qh, k, l, scales[16 + sc]).fma(v, a1);
            }
        }
        float[] lanes = new float[2 * L];
        a0.intoArray(lanes, 0);
        a1.intoArray(lanes, L);
        out[r * d + j] = VectorMath.sumStored(lanes, 0);
        out[r * d + j + q] = VectorMath.sumStored(lanes, L);
    }
}
