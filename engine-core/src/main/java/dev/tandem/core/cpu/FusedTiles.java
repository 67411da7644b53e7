package dev.tandem.core.cpu;

import static dev.tandem.core.cpu.VectorMath.F;
import static dev.tandem.core.cpu.VectorMath.L;

import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;

/**
 * Q8_0 weight rows (features {@code j + g * q}, g = 0..3) against two to five batch rows, decoding each
 * block in registers once for all of them: the verification path, where a separate decode pass would leave
 * the FMA units idle while it waits on memory and the arithmetic idle while it decodes. {@link #q8x4Stored} also
 * stores the decoded rows in {@code buf} (stride s) for the batch rows after these four
 * ({@link DecodedMatmul#rows}: tiles of six and four), so each weight is read from memory and decoded once per call.
 *
 * <p>Each chain is the one every other path runs ({@code acc = fma(w_c, x_c, acc)} over chunks in order, then
 * {@link VectorMath#laneSums}, bitwise the butterfly), so a row's result does not depend on the batch.
 */
final class FusedTiles {
    private FusedTiles() {}

    static void q8x4(float[] out, float[] x, int r, MemorySegment w, long rowBytes, int n, int d, int j, int q, float[] lanes) {
        long w0 = j * rowBytes, w1 = w0 + q * rowBytes, w2 = w1 + q * rowBytes, w3 = w2 + q * rowBytes;
        int x0 = r * n, x1 = x0 + n, x2 = x1 + n, x3 = x2 + n;
        FloatVector a00 = FloatVector.zero(F), a01 = a00, a02 = a00, a03 = a00;
        FloatVector a10 = a00, a11 = a00, a12 = a00, a13 = a00;
        FloatVector a20 = a00, a21 = a00, a22 = a00, a23 = a00;
        FloatVector a30 = a00, a31 = a00, a32 = a00, a33 = a00;
        for (int b = 0; b < n / 32; b++) {
            long o = 34L * b;
            FloatVector d0 = FloatVector.broadcast(F, BlockLoads.leadingScale(w, w0 + o));
            FloatVector d1 = FloatVector.broadcast(F, BlockLoads.leadingScale(w, w1 + o));
            FloatVector d2 = FloatVector.broadcast(F, BlockLoads.leadingScale(w, w2 + o));
            FloatVector d3 = FloatVector.broadcast(F, BlockLoads.leadingScale(w, w3 + o));
            for (int e = 0; e < 32; e += L) {
                int i = 32 * b + e;
                FloatVector q0 = BlockLoads.q8(w, w0 + o, e, d0), q1 = BlockLoads.q8(w, w1 + o, e, d1);
                FloatVector q2 = BlockLoads.q8(w, w2 + o, e, d2), q3 = BlockLoads.q8(w, w3 + o, e, d3);
                FloatVector v = FloatVector.fromArray(F, x, x0 + i);
                a00 = q0.fma(v, a00); a01 = q1.fma(v, a01); a02 = q2.fma(v, a02); a03 = q3.fma(v, a03);
                v = FloatVector.fromArray(F, x, x1 + i);
                a10 = q0.fma(v, a10); a11 = q1.fma(v, a11); a12 = q2.fma(v, a12); a13 = q3.fma(v, a13);
                v = FloatVector.fromArray(F, x, x2 + i);
                a20 = q0.fma(v, a20); a21 = q1.fma(v, a21); a22 = q2.fma(v, a22); a23 = q3.fma(v, a23);
                v = FloatVector.fromArray(F, x, x3 + i);
                a30 = q0.fma(v, a30); a31 = q1.fma(v, a31); a32 = q2.fma(v, a32); a33 = q3.fma(v, a33);
            }
        }
        a00.intoArray(lanes, 0); a01.intoArray(lanes, L); a02.intoArray(lanes, 2 * L); a03.intoArray(lanes, 3 * L);
        a10.intoArray(lanes, 4 * L); a11.intoArray(lanes, 5 * L); a12.intoArray(lanes, 6 * L); a13.intoArray(lanes, 7 * L);
        a20.intoArray(lanes, 8 * L); a21.intoArray(lanes, 9 * L); a22.intoArray(lanes, 10 * L); a23.intoArray(lanes, 11 * L);
        a30.intoArray(lanes, 12 * L); a31.intoArray(lanes, 13 * L); a32.intoArray(lanes, 14 * L); a33.intoArray(lanes, 15 * L);
        VectorMath.laneSums(lanes, 16);
        for (int a = 0; a < 16; a++) { // accumulator a: batch row r + a / 4, feature j + (a % 4) * q
            out[(r + a / 4) * d + j + (a % 4) * q] = lanes[a];
        }
    }

    /**
     * {@link #q8x4} that also stores the decoded weight rows in {@code buf} (stride s). Its own method, not a flag of
     * q8x4: with one method, the wide passes (prefill, 12+ rows) had C2 compile the stores into the 4-11 row
     * passes too (a whole 8-row pass of the inflated TinyLlama-1.1B Q8_0 12% slower, a 16-row pass 3-5%).
     */
    static void q8x4Stored(float[] out, float[] x, int r, MemorySegment w, long rowBytes, int n, int d, int j, int q,
                           float[] buf, int s, float[] lanes) {
        long w0 = j * rowBytes, w1 = w0 + q * rowBytes, w2 = w1 + q * rowBytes, w3 = w2 + q * rowBytes;
        int x0 = r * n, x1 = x0 + n, x2 = x1 + n, x3 = x2 + n;
        FloatVector a00 = FloatVector.zero(F), a01 = a00, a02 = a00, a03 = a00;
        FloatVector a10 = a00, a11 = a00, a12 = a00, a13 = a00;
        FloatVector a20 = a00, a21 = a00, a22 = a00, a23 = a00;
        FloatVector a30 = a00, a31 = a00, a32 = a00, a33 = a00;
        for (int b = 0; b < n / 32; b++) {
            long o = 34L * b;
            FloatVector d0 = FloatVector.broadcast(F, BlockLoads.leadingScale(w, w0 + o));
            FloatVector d1 = FloatVector.broadcast(F, BlockLoads.leadingScale(w, w1 + o));
            FloatVector d2 = FloatVector.broadcast(F, BlockLoads.leadingScale(w, w2 + o));
            FloatVector d3 = FloatVector.broadcast(F, BlockLoads.leadingScale(w, w3 + o));
            for (int e = 0; e < 32; e += L) {
                int i = 32 * b + e;
                FloatVector q0 = BlockLoads.q8(w, w0 + o, e, d0), q1 = BlockLoads.q8(w, w1 + o, e, d1);
                FloatVector q2 = BlockLoads.q8(w, w2 + o, e, d2), q3 = BlockLoads.q8(w, w3 + o, e, d3);
                q0.intoArray(buf, i);
                q1.intoArray(buf, s + i);
                q2.intoArray(buf, 2 * s + i);
                q3.intoArray(buf, 3 * s + i);
                FloatVector v = FloatVector.fromArray(F, x, x0 + i);
                a00 = q0.fma(v, a00); a01 = q1.fma(v, a01); a02 = q2.fma(v, a02); a03 = q3.fma(v, a03);
                v = FloatVector.fromArray(F, x, x1 + i);
                a10 = q0.fma(v, a10); a11 = q1.fma(v, a11); a12 = q2.fma(v, a12); a13 = q3.fma(v, a13);
                v = FloatVector.fromArray(F, x, x2 + i);
                a20 = q0.fma(v, a20); a21 = q1.fma(v, a21); a22 = q2.fma(v, a22); a23 = q3.fma(v, a23);
                v = FloatVector.fromArray(F, x, x3 + i);
                a30 = q0.fma(v, a30); a31 = q1.fma(v, a31); a32 = q2.fma(v, a32); a33 = q3.fma(v, a33);
            }
        }
        a00.intoArray(lanes, 0); a01.intoArray(lanes, L); a02.intoArray(lanes, 2 * L); a03.intoArray(lanes, 3 * L);
        a10.intoArray(lanes, 4 * L); a11.intoArray(lanes, 5 * L); a12.intoArray(lanes, 6 * L); a13.intoArray(lanes, 7 * L);
        a20.intoArray(lanes, 8 * L); a21.intoArray(lanes, 9 * L); a22.intoArray(lanes, 10 * L); a23.intoArray(lanes, 11 * L);
        a30.intoArray(lanes, 12 * L); a31.intoArray(lanes, 13 * L); a32.intoArray(lanes, 14 * L); a33.intoArray(lanes, 15 * L);
        VectorMath.laneSums(lanes, 16);
        for (int a = 0; a < 16; a++) { // accumulator a: batch row r + a / 4, feature j + (a % 4) * q
            out[(r + a / 4) * d + j + (a % 4) * q] = lanes[a];
        }
    }

    /**
     * Five batch rows: 20 accumulators, the four decoded weight vectors and the activation fit the 32 vector
     * registers, so a pass over five rows decodes each block once where 3 + 2 rows decoded it twice.
     */
    static void q8x5(float[] out, float[] x, int r, MemorySegment w, long rowBytes, int n, int d, int j, int q, float[] lanes) {
        long w0 = j * rowBytes, w1 = w0 + q * rowBytes, w2 = w1 + q * rowBytes, w3 = w2 + q * rowBytes;
        int x0 = r * n, x1 = x0 + n, x2 = x1 + n, x3 = x2 + n, x4 = x3 + n;
        FloatVector a00 = FloatVector.zero(F), a01 = a00, a02 = a00, a03 = a00;
        FloatVector a10 = a00, a11 = a00, a12 = a00, a13 = a00;
        FloatVector a20 = a00, a21 = a00, a22 = a00, a23 = a00;
        FloatVector a30 = a00, a31 = a00, a32 = a00, a33 = a00;
        FloatVector a40 = a00, a41 = a00, a42 = a00, a43 = a00;
        for (int b = 0; b < n / 32; b++) {
            long o = 34L * b;
            FloatVector d0 = FloatVector.broadcast(F, BlockLoads.leadingScale(w, w0 + o));
            FloatVector d1 = FloatVector.broadcast(F, BlockLoads.leadingScale(w, w1 + o));
            FloatVector d2 = FloatVector.broadcast(F, BlockLoads.leadingScale(w, w2 + o));
            FloatVector d3 = FloatVector.broadcast(F, BlockLoads.leadingScale(w, w3 + o));
            for (int e = 0; e < 32; e += L) {
                int i = 32 * b + e;
                FloatVector q0 = BlockLoads.q8(w, w0 + o, e, d0), q1 = BlockLoads.q8(w, w1 + o, e, d1);
                FloatVector q2 = BlockLoads.q8(w, w2 + o, e, d2), q3 = BlockLoads.q8(w, w3 + o, e, d3);
                FloatVector v = FloatVector.fromArray(F, x, x0 + i);
                a00 = q0.fma(v, a00); a01 = q1.fma(v, a01); a02 = q2.fma(v, a02); a03 = q3.fma(v, a03);
                v = FloatVector.fromArray(F, x, x1 + i);
                a10 = q0.fma(v, a10); a11 = q1.fma(v, a11); a12 = q2.fma(v, a12); a13 = q3.fma(v, a13);
                v = FloatVector.fromArray(F, x, x2 + i);
                a20 = q0.fma(v, a20); a21 = q1.fma(v, a21); a22 = q2.fma(v, a22); a23 = q3.fma(v, a23);
                v = FloatVector.fromArray(F, x, x3 + i);
                a30 = q0.fma(v, a30); a31 = q1.fma(v, a31); a32 = q2.fma(v, a32); a33 = q3.fma(v, a33);
                v = FloatVector.fromArray(F, x, x4 + i);
                a40 = q0.fma(v, a40); a41 = q1.fma(v, a41); a42 = q2.fma(v, a42); a43 = q3.fma(v, a43);
            }
        }
        a00.intoArray(lanes, 0); a01.intoArray(lanes, L); a02.intoArray(lanes, 2 * L); a03.intoArray(lanes, 3 * L);
        a10.intoArray(lanes, 4 * L); a11.intoArray(lanes, 5 * L); a12.intoArray(lanes, 6 * L); a13.intoArray(lanes, 7 * L);
        a20.intoArray(lanes, 8 * L); a21.intoArray(lanes, 9 * L); a22.intoArray(lanes, 10 * L); a23.intoArray(lanes, 11 * L);
        a30.intoArray(lanes, 12 * L); a31.intoArray(lanes, 13 * L); a32.intoArray(lanes, 14 * L); a33.intoArray(lanes, 15 * L);
        a40.intoArray(lanes, 16 * L); a41.intoArray(lanes, 17 * L); a42.intoArray(lanes, 18 * L); a43.intoArray(lanes, 19 * L);
        VectorMath.laneSums(lanes, 20);
        for (int a = 0; a < 20; a++) {
            out[(r + a / 4) * d + j + (a % 4) * q] = lanes[a];
        }
    }

    static void q8x2(float[] out, float[] x, int r, MemorySegment w, long rowBytes, int n, int d, int j, int q, float[] lanes) {
        long w0 = j * rowBytes, w1 = w0 + q * rowBytes, w2 = w1 + q * rowBytes, w3 = w2 + q * rowBytes;
        int x0 = r * n, x1 = x0 + n;
        FloatVector a00 = FloatVector.zero(F), a01 = a00, a02 = a00, a03 = a00;
        FloatVector a10 = a00, a11 = a00, a12 = a00, a13 = a00;
        for (int b = 0; b < n / 32; b++) {
            long o = 34L * b;
            FloatVector d0 = FloatVector.broadcast(F, BlockLoads.leadingScale(w, w0 + o));
            FloatVector d1 = FloatVector.broadcast(F, BlockLoads.leadingScale(w, w1 + o));
            FloatVector d2 = FloatVector.broadcast(F, BlockLoads.leadingScale(w, w2 + o));
            FloatVector d3 = FloatVector.broadcast(F, BlockLoads.leadingScale(w, w3 + o));
            for (int e = 0; e < 32; e += L) {
                int i = 32 * b + e;
                FloatVector q0 = BlockLoads.q8(w, w0 + o, e, d0), q1 = BlockLoads.q8(w, w1 + o, e, d1);
                FloatVector q2 = BlockLoads.q8(w, w2 + o, e, d2), q3 = BlockLoads.q8(w, w3 + o, e, d3);
                FloatVector v = FloatVector.fromArray(F, x, x0 + i);
                a00 = q0.fma(v, a00); a01 = q1.fma(v, a01); a02 = q2.fma(v, a02); a03 = q3.fma(v, a03);
                v = FloatVector.fromArray(F, x, x1 + i);
                a10 = q0.fma(v, a10); a11 = q1.fma(v, a11); a12 = q2.fma(v, a12); a13 = q3.fma(v, a13);
            }
        }
        a00.intoArray(lanes, 0); a01.intoArray(lanes, L); a02.intoArray(lanes, 2 * L); a03.intoArray(lanes, 3 * L);
        a10.intoArray(lanes, 4 * L); a11.intoArray(lanes, 5 * L); a12.intoArray(lanes, 6 * L); a13.intoArray(lanes, 7 * L);
        VectorMath.laneSums(lanes, 8);
        for (int a = 0; a < 8; a++) {
            out[(r + a / 4) * d + j + (a % 4) * q] = lanes[a];
        }
    }

    static void q8x3(float[] out, float[] x, int r, MemorySegment w, long rowBytes, int n, int d, int j, int q, float[] lanes) {
        long w0 = j * rowBytes, w1 = w0 + q * rowBytes, w2 = w1 + q * rowBytes, w3 = w2 + q * rowBytes;
        int x0 = r * n, x1 = x0 + n, x2 = x1 + n;
        FloatVector a00 = FloatVector.zero(F), a01 = a00, a02 = a00, a03 = a00;
        FloatVector a10 = a00, a11 = a00, a12 = a00, a13 = a00;
        FloatVector a20 = a00, a21 = a00, a22 = a00, a23 = a00;
        for (int b = 0; b < n / 32; b++) {
            long o = 34L * b;
            FloatVector d0 = FloatVector.broadcast(F, BlockLoads.leadingScale(w, w0 + o));
            FloatVector d1 = FloatVector.broadcast(F, BlockLoads.leadingScale(w, w1 + o));
            FloatVector d2 = FloatVector.broadcast(F, BlockLoads.leadingScale(w, w2 + o));
            FloatVector d3 = FloatVector.broadcast(F, BlockLoads.leadingScale(w, w3 + o));
            for (int e = 0; e < 32; e += L) {
                int i = 32 * b + e;
                FloatVector q0 = BlockLoads.q8(w, w0 + o, e, d0), q1 = BlockLoads.q8(w, w1 + o, e, d1);
                FloatVector q2 = BlockLoads.q8(w, w2 + o, e, d2), q3 = BlockLoads.q8(w, w3 + o, e, d3);
                FloatVector v = FloatVector.fromArray(F, x, x0 + i);
                a00 = q0.fma(v, a00); a01 = q1.fma(v, a01); a02 = q2.fma(v, a02); a03 = q3.fma(v, a03);
                v = FloatVector.fromArray(F, x, x1 + i);
                a10 = q0.fma(v, a10); a11 = q1.fma(v, a11); a12 = q2.fma(v, a12); a13 = q3.fma(v, a13);
                v = FloatVector.fromArray(F, x, x2 + i);
                a20 = q0.fma(v, a20); a21 = q1.fma(v, a21); a22 = q2.fma(v, a22); a23 = q3.fma(v, a23);
            }
        }
        a00.intoArray(lanes, 0); a01.intoArray(lanes, L); a02.intoArray(lanes, 2 * L); a03.intoArray(lanes, 3 * L);
        a10.intoArray(lanes, 4 * L); a11.intoArray(lanes, 5 * L); a12.intoArray(lanes, 6 * L); a13.intoArray(lanes, 7 * L);
        a20.intoArray(lanes, 8 * L); a21.intoArray(lanes, 9 * L); a22.intoArray(lanes, 10 * L); a23.intoArray(lanes, 11 * L);
        VectorMath.laneSums(lanes, 12);
        for (int a = 0; a < 12; a++) {
            out[(r + a / 4) * d + j + (a % 4) * q] = lanes[a];
        }
    }
}
