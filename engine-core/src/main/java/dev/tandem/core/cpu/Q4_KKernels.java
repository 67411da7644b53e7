package dev.tandem.core.cpu;

import static dev.tandem.core.cpu.VectorMath.F;
import static dev.tandem.core.cpu.VectorMath.L;

import dev.tandem.core.DType;
import dev.tandem.core.codec.KQuantScales;
import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;

/** Q4_K weights (most of a Q4_K_M file): vector decode of the super-blocks, and a one-row kernel over two weight rows. */
final class Q4_KKernels extends WeightKernels {
    Q4_KKernels() {
        super(DType.Q4_K, 2);
    }

    /** Q4_K: 144-byte super-blocks of d, dmin, 12 bytes of 6-bit scales and mins, 128 bytes of nibbles. */
    @Override
    void decodeVector(MemorySegment w, long row, int n, float[] buf, int b) {
        for (int blk = 0; blk < n / 256; blk++) {
            long o = row + 144L * blk;
            float d = BlockLoads.scale(w, o), dmin = BlockLoads.scale(w, o + 2);
            long sc = o + 4;
            for (int j = 0; j < 4; j++) { // 64 values: the low nibbles of 32 bytes, then their high nibbles
                int is = 2 * j;
                float d1 = d * KQuantScales.scale(w, sc, is), m1 = dmin * KQuantScales.min(w, sc, is);
                float d2 = d * KQuantScales.scale(w, sc, is + 1), m2 = dmin * KQuantScales.min(w, sc, is + 1);
                long q = o + 16 + 32L * j;
                int y = b + 256 * blk + 64 * j;
                for (int l = 0; l < 32; l += L) {
                    BlockLoads.kNibbles(w, q + l, 0, d1, m1).intoArray(buf, y + l);
                    BlockLoads.kNibbles(w, q + l, 4, d2, m2).intoArray(buf, y + 32 + l);
                }
            }
        }
    }

    /**
     * Q4_K, two weight rows (features j, j + q), decoding each 64-value group in registers: the low nibbles of 32
     * bytes are values 0..31, the high nibbles 32..63, so the chain still runs over the values in order.
     */
    @Override
    void fused(float[] out, float[] x, int r, MemorySegment w, long rowBytes, int n, int d, int j, int q) {
        long w0 = j * rowBytes, w1 = w0 + q * rowBytes;
        int xo = r * n;
        FloatVector a0 = FloatVector.zero(F), a1 = a0;
        for (int blk = 0; blk < n / 256; blk++) {
            long o0 = w0 + 144L * blk, o1 = w1 + 144L * blk;
            float d0 = BlockLoads.scale(w, o0), m0 = BlockLoads.scale(w, o0 + 2);
            float d1 = BlockLoads.scale(w, o1), m1 = BlockLoads.scale(w, o1 + 2);
            for (int h = 0; h < 8; h++) { // 32 values: half h % 2 (low or high nibbles) of group h / 2's 32 bytes
                float s0 = d0 * KQuantScales.scale(w, o0 + 4, h), n0 = m0 * KQuantScales.min(w, o0 + 4, h);
                float s1 = d1 * KQuantScales.scale(w, o1 + 4, h), n1 = m1 * KQuantScales.min(w, o1 + 4, h);
                int shift = 4 * (h & 1); // one loop body for both nibbles: two bodies (constant shifts) ran 2.5x slower
                long at = 16 + 32L * (h >> 1);
                int i = xo + 256 * blk + 32 * h;
                for (int l = 0; l < 32; l += L) {
                    FloatVector v = FloatVector.fromArray(F, x, i + l);
                    a0 = BlockLoads.kNibbles(w, o0 + at + l, shift, s0, n0).fma(v, a0);
                    a1 = BlockLoads.kNibbles(w, o1 + at + l, shift, s1, n1).fma(v, a1);
                }
            }
        }
        // VectorMath.sum here was compiled on its own with boxed vectors (JFR: FloatVector.lanewiseTemplate under it,
        // 10% of samples); stored lanes (VectorMath.sumStored) take no vector helper call
        float[] lanes = new float[2 * L];
        a0.intoArray(lanes, 0);
        a1.intoArray(lanes, L);
        out[r * d + j] = VectorMath.sumStored(lanes, 0);
        out[r * d + j + q] = VectorMath.sumStored(lanes, L);
    }
}
