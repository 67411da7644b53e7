package dev.tandem.core.cpu;

import static dev.tandem.core.cpu.VectorMath.F;
import static dev.tandem.core.cpu.VectorMath.L;

import dev.tandem.core.DType;
import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;

/**
 * Q4_0 weights: 18-byte blocks of an F16 scale d and 16 bytes of nibbles (values 0..15 in the low nibbles, 16..31
 * in the high ones), each value {@code d·(q - 8)}. The arithmetic every path shares is {@link GroupScaledKernels}':
 * per block, {@code p = Σ (q - 8)·x} over its low chunks then its high chunks, then {@code acc = fma(p, d, acc)}.
 */
final class Q4_0Kernels extends GroupScaledKernels {
    Q4_0Kernels() {
        super(DType.Q4_0, false);
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

    /** Weight rows j and j + q against batch row r. */
    @Override
    void x1(float[] out, float[] x, float[] xs, int r, MemorySegment w, long rowBytes, int n, int d, int j, int q,
            float[] lanes) {
        long w0 = j * rowBytes, w1 = w0 + q * rowBytes;
        int xo = r * n;
        FloatVector a0 = FloatVector.zero(F), a1 = a0;
        for (int b = 0; b < n / 32; b++) {
            long o0 = w0 + 18L * b, o1 = w1 + 18L * b;
            int i = xo + 32 * b;
            FloatVector p0 = FloatVector.zero(F), p1 = p0;
            for (int e = 0; e < 16; e += L) { // low nibbles: values 0..15
                FloatVector v = FloatVector.fromArray(F, x, i + e);
                p0 = BlockLoads.q4Low(BlockLoads.q4Bytes(w, o0, e)).fma(v, p0);
                p1 = BlockLoads.q4Low(BlockLoads.q4Bytes(w, o1, e)).fma(v, p1);
            }
            for (int e = 0; e < 16; e += L) { // high nibbles: values 16..31
                FloatVector v = FloatVector.fromArray(F, x, i + 16 + e);
                p0 = BlockLoads.q4High(BlockLoads.q4Bytes(w, o0, e)).fma(v, p0);
                p1 = BlockLoads.q4High(BlockLoads.q4Bytes(w, o1, e)).fma(v, p1);
            }
            a0 = p0.fma(FloatVector.broadcast(F, BlockLoads.scale(w, o0)), a0);
            a1 = p1.fma(FloatVector.broadcast(F, BlockLoads.scale(w, o1)), a1);
        }
        a0.intoArray(lanes, 0);
        a1.intoArray(lanes, L);
        storeTile(out, lanes, 2, r * d + j, d, q, null);
    }

    /** Weight rows j and j + q against batch rows r and r + 1. */
    @Override
    void x2(float[] out, float[] x, float[] xs, int r, MemorySegment w, long rowBytes, int n, int d, int j, int q,
            float[] lanes) {
        long w0 = j * rowBytes, w1 = w0 + q * rowBytes;
        FloatVector a00 = FloatVector.zero(F), a01 = a00, a10 = a00, a11 = a00;
        for (int b = 0; b < n / 32; b++) {
            long o0 = w0 + 18L * b, o1 = w1 + 18L * b;
            FloatVector p00 = FloatVector.zero(F), p01 = p00, p10 = p00, p11 = p00;
            for (int h = 0; h < 32; h += 16) { // low nibbles (values 0..15), then high nibbles (16..31)
                for (int e = 0; e < 16; e += L) {
                    FloatVector v0 = BlockLoads.q4Half(BlockLoads.q4Bytes(w, o0, e), h);
                    FloatVector v1 = BlockLoads.q4Half(BlockLoads.q4Bytes(w, o1, e), h);
                    int i = r * n + 32 * b + h + e;
                    FloatVector v = FloatVector.fromArray(F, x, i);
                    p00 = v0.fma(v, p00); p01 = v1.fma(v, p01);
                    v = FloatVector.fromArray(F, x, i + n);
                    p10 = v0.fma(v, p10); p11 = v1.fma(v, p11);
                }
            }
            FloatVector s0 = FloatVector.broadcast(F, BlockLoads.scale(w, o0)), s1 = FloatVector.broadcast(F, BlockLoads.scale(w, o1));
            a00 = p00.fma(s0, a00); a01 = p01.fma(s1, a01);
            a10 = p10.fma(s0, a10); a11 = p11.fma(s1, a11);
        }
        a00.intoArray(lanes, 0); a01.intoArray(lanes, L); a10.intoArray(lanes, 2 * L); a11.intoArray(lanes, 3 * L);
        storeTile(out, lanes, 4, r * d + j, d, q, null);
    }

    /** Weight rows j and j + q against batch rows r..r+3: each nibble decoded once for four rows. */
    @Override
    void x4(float[] out, float[] x, float[] xs, int r, MemorySegment w, long rowBytes, int n, int d, int j, int q,
            float[] lanes, float[] ms) {
        long w0 = j * rowBytes, w1 = w0 + q * rowBytes;
        FloatVector a00 = FloatVector.zero(F), a01 = a00, a10 = a00, a11 = a00, a20 = a00, a21 = a00, a30 = a00, a31 = a00;
        for (int b = 0; b < n / 32; b++) {
            long o0 = w0 + 18L * b, o1 = w1 + 18L * b;
            FloatVector p00 = FloatVector.zero(F), p01 = p00, p10 = p00, p11 = p00;
            FloatVector p20 = p00, p21 = p00, p30 = p00, p31 = p00;
            for (int h = 0; h < 32; h += 16) { // low nibbles (values 0..15), then high nibbles (16..31)
                for (int e = 0; e < 16; e += L) {
                    FloatVector v0 = BlockLoads.q4Half(BlockLoads.q4Bytes(w, o0, e), h);
                    FloatVector v1 = BlockLoads.q4Half(BlockLoads.q4Bytes(w, o1, e), h);
                    int i = r * n + 32 * b + h + e;
                    FloatVector v = FloatVector.fromArray(F, x, i);
                    p00 = v0.fma(v, p00); p01 = v1.fma(v, p01);
                    v = FloatVector.fromArray(F, x, i + n);
                    p10 = v0.fma(v, p10); p11 = v1.fma(v, p11);
                    v = FloatVector.fromArray(F, x, i + 2 * n);
                    p20 = v0.fma(v, p20); p21 = v1.fma(v, p21);
                    v = FloatVector.fromArray(F, x, i + 3 * n);
                    p30 = v0.fma(v, p30); p31 = v1.fma(v, p31);
                }
            }
            FloatVector s0 = FloatVector.broadcast(F, BlockLoads.scale(w, o0)), s1 = FloatVector.broadcast(F, BlockLoads.scale(w, o1));
            a00 = p00.fma(s0, a00); a01 = p01.fma(s1, a01);
            a10 = p10.fma(s0, a10); a11 = p11.fma(s1, a11);
            a20 = p20.fma(s0, a20); a21 = p21.fma(s1, a21);
            a30 = p30.fma(s0, a30); a31 = p31.fma(s1, a31);
        }
        a00.intoArray(lanes, 0); a01.intoArray(lanes, L); a10.intoArray(lanes, 2 * L); a11.intoArray(lanes, 3 * L);
        a20.intoArray(lanes, 4 * L); a21.intoArray(lanes, 5 * L); a30.intoArray(lanes, 6 * L); a31.intoArray(lanes, 7 * L);
        storeTile(out, lanes, 8, r * d + j, d, q, null);
    }
}
