package dev.tandem.core.cpu;

import static dev.tandem.core.cpu.VectorMath.F;
import static dev.tandem.core.cpu.VectorMath.L;

import dev.tandem.core.KQuants;
import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;

/**
 * Weight rows (four, features {@code j + g * q}; two for the types with long decodes) against one batch row, decoding the weights in registers:
 * the decode-time path, where a buffer round trip would cost more than the arithmetic. Each chain is the one
 * {@link DecodedMatmul} runs on decoded rows ({@code acc = fma(w_c, x_c, acc)} over chunks in order), so
 * results are bitwise the same on both paths. One method per type, and no masked tails (rows of F16/BF16
 * values must be whole vectors here; others take the buffered path): C2 must inline every vector operation
 * of a kernel, and a larger method hits its inlining node limit, after which the operations fall back to
 * allocating Java code (measured: F16 3x slower with the tails in).
 */
final class FusedMatmul {
    private FusedMatmul() {}

    static void q8(float[] out, float[] x, int r, MemorySegment w, long rowBytes, int n, int d, int j, int q) {
        long w0 = j * rowBytes, w1 = w0 + q * rowBytes, w2 = w1 + q * rowBytes, w3 = w2 + q * rowBytes;
        int xo = r * n;
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        for (int b = 0; b < n / 32; b++) {
            long o = 34L * b;
            FloatVector d0 = FloatVector.broadcast(F, BlockLoads.scale(w, w0 + o));
            FloatVector d1 = FloatVector.broadcast(F, BlockLoads.scale(w, w1 + o));
            FloatVector d2 = FloatVector.broadcast(F, BlockLoads.scale(w, w2 + o));
            FloatVector d3 = FloatVector.broadcast(F, BlockLoads.scale(w, w3 + o));
            for (int e = 0; e < 32; e += L) {
                FloatVector v = FloatVector.fromArray(F, x, xo + 32 * b + e);
                a0 = BlockLoads.q8(w, w0 + o, e, d0).fma(v, a0);
                a1 = BlockLoads.q8(w, w1 + o, e, d1).fma(v, a1);
                a2 = BlockLoads.q8(w, w2 + o, e, d2).fma(v, a2);
                a3 = BlockLoads.q8(w, w3 + o, e, d3).fma(v, a3);
            }
        }
        VectorMath.sum4(out, r * d + j, q, a0, a1, a2, a3);
    }

    /** Two weight rows (features j, j + q): Q4_0's decode is long enough that four rows exceed C2's inlining budget. */
    static void q4(float[] out, float[] x, int r, MemorySegment w, long rowBytes, int n, int d, int j, int q) {
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

    /** Two weight rows (features j, j + q), for the same reason as {@link #q4}. */
    static void f16(float[] out, float[] x, int r, MemorySegment w, long rowBytes, int n, int d, int j, int q) {
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

    static void bf16(float[] out, float[] x, int r, MemorySegment w, long rowBytes, int n, int d, int j, int q) {
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

    /**
     * Q4_K, two weight rows (features j, j + q), decoding each 64-value group in registers: the low nibbles of 32
     * bytes are values 0..31, the high nibbles 32..63, so the chain still runs over the values in order.
     */
    static void q4K(float[] out, float[] x, int r, MemorySegment w, long rowBytes, int n, int d, int j, int q) {
        long w0 = j * rowBytes, w1 = w0 + q * rowBytes;
        int xo = r * n;
        FloatVector a0 = FloatVector.zero(F), a1 = a0;
        for (int blk = 0; blk < n / 256; blk++) {
            long o0 = w0 + 144L * blk, o1 = w1 + 144L * blk;
            float d0 = BlockLoads.scale(w, o0), m0 = BlockLoads.scale(w, o0 + 2);
            float d1 = BlockLoads.scale(w, o1), m1 = BlockLoads.scale(w, o1 + 2);
            for (int h = 0; h < 8; h++) { // 32 values: half h % 2 (low or high nibbles) of group h / 2's 32 bytes
                float s0 = d0 * KQuants.scale(w, o0 + 4, h), n0 = m0 * KQuants.min(w, o0 + 4, h);
                float s1 = d1 * KQuants.scale(w, o1 + 4, h), n1 = m1 * KQuants.min(w, o1 + 4, h);
                int shift = 4 * (h & 1); // one loop body for both nibbles: two bodies (constant shifts) ran 2.5x slower
                long at = 16 + 32L * (h >> 1);
                int i = xo + 256 * blk + 32 * h;
                for (int l = 0; l < 32; l += L) {
                    FloatVector v = FloatVector.fromArray(F, x, i + l);
                    a0 = KQuantDecode.nibbles(w, o0 + at + l, shift, s0, n0).fma(v, a0);
                    a1 = KQuantDecode.nibbles(w, o1 + at + l, shift, s1, n1).fma(v, a1);
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
