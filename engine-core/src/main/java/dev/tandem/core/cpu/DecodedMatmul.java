package dev.tandem.core.cpu;

import static dev.tandem.core.cpu.VectorMath.F;
import static dev.tandem.core.cpu.VectorMath.L;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;

/**
 * Dot products of weight rows already decoded to floats (a small buffer that stays in L1/L2) with batch
 * rows. A decoded row is zero-padded to whole vectors; x loads in the last chunk are masked.
 *
 * <p>Every (row, feature) result is the same chain: {@code acc = fma(w_c, x_c, acc)} over chunks c in
 * order, then {@link VectorMath#sum}. The fused kernels of each weight type run exactly that chain with
 * the weights decoded on the fly, so a row's result never depends on the batch size or on the path.
 */
final class DecodedMatmul {
    private DecodedMatmul() {}

    /** Floats a decoded row of {@code n} values takes in the buffer: whole vectors. */
    static int stride(int n) {
        return (n + L - 1) / L * L;
    }

    /** Floats of {@code lanes} scratch that {@link #rows} needs. */
    static final int LANES = 24 * L;

    /**
     * Batch rows {@code [r, rows)} against the four decoded weight rows in buf: tiles of six rows
     * ({@link #dot4x6}) and four, and a lone row only where the count is odd. Six where what is left after it
     * is not 2 or 3 (those are four plus four, or four plus one). The split changes no result: each chain is
     * the same whatever tile computes it.
     */
    static void rows(float[] out, float[] x, int r, int rows, float[] buf, int s, int n, int d, int j, int q, float[] lanes) {
        for (; rows - r >= 6 && rows - r != 8 && rows - r != 9; r += 6) {
            dot4x6(out, x, r, buf, s, n, d, j, q, lanes);
        }
        for (; r + 4 <= rows; r += 4) {
            dot4x4(out, x, r, buf, s, n, d, j, q, lanes);
        }
        for (; r < rows; r++) {
            dot4x1(out, x, r, buf, s, n, d, j, q);
        }
    }

    /**
     * Four decoded weight rows (buf, stride s) against four batch rows: 16 independent chains. The weight rows
     * are output features {@code j, j + q, j + 2q, j + 3q}; {@code lanes} is scratch of {@code 16 * L} floats.
     */
    static void dot4x4(float[] out, float[] x, int r, float[] buf, int s, int n, int d, int j, int q, float[] lanes) {
        int x0 = r * n, x1 = x0 + n, x2 = x1 + n, x3 = x2 + n;
        FloatVector a00 = FloatVector.zero(F), a01 = a00, a02 = a00, a03 = a00;
        FloatVector a10 = a00, a11 = a00, a12 = a00, a13 = a00;
        FloatVector a20 = a00, a21 = a00, a22 = a00, a23 = a00;
        FloatVector a30 = a00, a31 = a00, a32 = a00, a33 = a00;
        int full = n / L * L;
        int i = 0;
        for (; i < full; i += L) {
            FloatVector w0 = FloatVector.fromArray(F, buf, i);
            FloatVector w1 = FloatVector.fromArray(F, buf, s + i);
            FloatVector w2 = FloatVector.fromArray(F, buf, 2 * s + i);
            FloatVector w3 = FloatVector.fromArray(F, buf, 3 * s + i);
            FloatVector v = FloatVector.fromArray(F, x, x0 + i);
            a00 = w0.fma(v, a00); a01 = w1.fma(v, a01); a02 = w2.fma(v, a02); a03 = w3.fma(v, a03);
            v = FloatVector.fromArray(F, x, x1 + i);
            a10 = w0.fma(v, a10); a11 = w1.fma(v, a11); a12 = w2.fma(v, a12); a13 = w3.fma(v, a13);
            v = FloatVector.fromArray(F, x, x2 + i);
            a20 = w0.fma(v, a20); a21 = w1.fma(v, a21); a22 = w2.fma(v, a22); a23 = w3.fma(v, a23);
            v = FloatVector.fromArray(F, x, x3 + i);
            a30 = w0.fma(v, a30); a31 = w1.fma(v, a31); a32 = w2.fma(v, a32); a33 = w3.fma(v, a33);
        }
        if (i < n) {
            VectorMask<Float> m = F.indexInRange(i, n);
            FloatVector w0 = FloatVector.fromArray(F, buf, i);
            FloatVector w1 = FloatVector.fromArray(F, buf, s + i);
            FloatVector w2 = FloatVector.fromArray(F, buf, 2 * s + i);
            FloatVector w3 = FloatVector.fromArray(F, buf, 3 * s + i);
            FloatVector v = FloatVector.fromArray(F, x, x0 + i, m);
            a00 = w0.fma(v, a00); a01 = w1.fma(v, a01); a02 = w2.fma(v, a02); a03 = w3.fma(v, a03);
            v = FloatVector.fromArray(F, x, x1 + i, m);
            a10 = w0.fma(v, a10); a11 = w1.fma(v, a11); a12 = w2.fma(v, a12); a13 = w3.fma(v, a13);
            v = FloatVector.fromArray(F, x, x2 + i, m);
            a20 = w0.fma(v, a20); a21 = w1.fma(v, a21); a22 = w2.fma(v, a22); a23 = w3.fma(v, a23);
            v = FloatVector.fromArray(F, x, x3 + i, m);
            a30 = w0.fma(v, a30); a31 = w1.fma(v, a31); a32 = w2.fma(v, a32); a33 = w3.fma(v, a33);
        }
        // sixteen butterflies would push this method past C2's inlining cut-off: see VectorMath.laneSums
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
     * Four decoded weight rows against six batch rows: 24 chains, the four weight vectors and one activation
     * vector in 29 of the 32 registers. Ten loads per 24 FMAs where {@link #dot4x4} has eight per 16; the same
     * chains, so the same bits. {@code lanes}: scratch of {@code 24 * L} floats.
     */
    static void dot4x6(float[] out, float[] x, int r, float[] buf, int s, int n, int d, int j, int q, float[] lanes) {
        int x0 = r * n, x1 = x0 + n, x2 = x1 + n, x3 = x2 + n, x4 = x3 + n, x5 = x4 + n;
        FloatVector a00 = FloatVector.zero(F), a01 = a00, a02 = a00, a03 = a00;
        FloatVector a10 = a00, a11 = a00, a12 = a00, a13 = a00;
        FloatVector a20 = a00, a21 = a00, a22 = a00, a23 = a00;
        FloatVector a30 = a00, a31 = a00, a32 = a00, a33 = a00;
        FloatVector a40 = a00, a41 = a00, a42 = a00, a43 = a00;
        FloatVector a50 = a00, a51 = a00, a52 = a00, a53 = a00;
        int full = n / L * L;
        int i = 0;
        for (; i < full; i += L) {
            FloatVector w0 = FloatVector.fromArray(F, buf, i);
            FloatVector w1 = FloatVector.fromArray(F, buf, s + i);
            FloatVector w2 = FloatVector.fromArray(F, buf, 2 * s + i);
            FloatVector w3 = FloatVector.fromArray(F, buf, 3 * s + i);
            FloatVector v = FloatVector.fromArray(F, x, x0 + i);
            a00 = w0.fma(v, a00); a01 = w1.fma(v, a01); a02 = w2.fma(v, a02); a03 = w3.fma(v, a03);
            v = FloatVector.fromArray(F, x, x1 + i);
            a10 = w0.fma(v, a10); a11 = w1.fma(v, a11); a12 = w2.fma(v, a12); a13 = w3.fma(v, a13);
            v = FloatVector.fromArray(F, x, x2 + i);
            a20 = w0.fma(v, a20); a21 = w1.fma(v, a21); a22 = w2.fma(v, a22); a23 = w3.fma(v, a23);
            v = FloatVector.fromArray(F, x, x3 + i);
            a30 = w0.fma(v, a30); a31 = w1.fma(v, a31); a32 = w2.fma(v, a32); a33 = w3.fma(v, a33);
            v = FloatVector.fromArray(F, x, x4 + i);
            a40 = w0.fma(v, a40); a41 = w1.fma(v, a41); a42 = w2.fma(v, a42); a43 = w3.fma(v, a43);
            v = FloatVector.fromArray(F, x, x5 + i);
            a50 = w0.fma(v, a50); a51 = w1.fma(v, a51); a52 = w2.fma(v, a52); a53 = w3.fma(v, a53);
        }
        if (i < n) {
            VectorMask<Float> m = F.indexInRange(i, n);
            FloatVector w0 = FloatVector.fromArray(F, buf, i);
            FloatVector w1 = FloatVector.fromArray(F, buf, s + i);
            FloatVector w2 = FloatVector.fromArray(F, buf, 2 * s + i);
            FloatVector w3 = FloatVector.fromArray(F, buf, 3 * s + i);
            FloatVector v = FloatVector.fromArray(F, x, x0 + i, m);
            a00 = w0.fma(v, a00); a01 = w1.fma(v, a01); a02 = w2.fma(v, a02); a03 = w3.fma(v, a03);
            v = FloatVector.fromArray(F, x, x1 + i, m);
            a10 = w0.fma(v, a10); a11 = w1.fma(v, a11); a12 = w2.fma(v, a12); a13 = w3.fma(v, a13);
            v = FloatVector.fromArray(F, x, x2 + i, m);
            a20 = w0.fma(v, a20); a21 = w1.fma(v, a21); a22 = w2.fma(v, a22); a23 = w3.fma(v, a23);
            v = FloatVector.fromArray(F, x, x3 + i, m);
            a30 = w0.fma(v, a30); a31 = w1.fma(v, a31); a32 = w2.fma(v, a32); a33 = w3.fma(v, a33);
            v = FloatVector.fromArray(F, x, x4 + i, m);
            a40 = w0.fma(v, a40); a41 = w1.fma(v, a41); a42 = w2.fma(v, a42); a43 = w3.fma(v, a43);
            v = FloatVector.fromArray(F, x, x5 + i, m);
            a50 = w0.fma(v, a50); a51 = w1.fma(v, a51); a52 = w2.fma(v, a52); a53 = w3.fma(v, a53);
        }
        a00.intoArray(lanes, 0 * L); a01.intoArray(lanes, 1 * L); a02.intoArray(lanes, 2 * L); a03.intoArray(lanes, 3 * L);
        a10.intoArray(lanes, 4 * L); a11.intoArray(lanes, 5 * L); a12.intoArray(lanes, 6 * L); a13.intoArray(lanes, 7 * L);
        a20.intoArray(lanes, 8 * L); a21.intoArray(lanes, 9 * L); a22.intoArray(lanes, 10 * L); a23.intoArray(lanes, 11 * L);
        a30.intoArray(lanes, 12 * L); a31.intoArray(lanes, 13 * L); a32.intoArray(lanes, 14 * L); a33.intoArray(lanes, 15 * L);
        a40.intoArray(lanes, 16 * L); a41.intoArray(lanes, 17 * L); a42.intoArray(lanes, 18 * L); a43.intoArray(lanes, 19 * L);
        a50.intoArray(lanes, 20 * L); a51.intoArray(lanes, 21 * L); a52.intoArray(lanes, 22 * L); a53.intoArray(lanes, 23 * L);
        VectorMath.laneSums(lanes, 24);
        for (int a = 0; a < 24; a++) { // accumulator a: batch row r + a / 4, feature j + (a % 4) * q
            out[(r + a / 4) * d + j + (a % 4) * q] = lanes[a];
        }
    }

    /** Four decoded weight rows (features {@code j + g * q}) against one batch row. */
    static void dot4x1(float[] out, float[] x, int r, float[] buf, int s, int n, int d, int j, int q) {
        int xo = r * n;
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        int full = n / L * L;
        int i = 0;
        for (; i < full; i += L) {
            FloatVector v = FloatVector.fromArray(F, x, xo + i);
            a0 = FloatVector.fromArray(F, buf, i).fma(v, a0);
            a1 = FloatVector.fromArray(F, buf, s + i).fma(v, a1);
            a2 = FloatVector.fromArray(F, buf, 2 * s + i).fma(v, a2);
            a3 = FloatVector.fromArray(F, buf, 3 * s + i).fma(v, a3);
        }
        if (i < n) {
            FloatVector v = FloatVector.fromArray(F, x, xo + i, F.indexInRange(i, n));
            a0 = FloatVector.fromArray(F, buf, i).fma(v, a0);
            a1 = FloatVector.fromArray(F, buf, s + i).fma(v, a1);
            a2 = FloatVector.fromArray(F, buf, 2 * s + i).fma(v, a2);
            a3 = FloatVector.fromArray(F, buf, 3 * s + i).fma(v, a3);
        }
        VectorMath.sum4(out, r * d + j, q, a0, a1, a2, a3);
    }

    /** One decoded weight row (at offset {@code b} of buf) against one batch row. */
    static float dot1(float[] x, int r, float[] buf, int b, int n) {
        int xo = r * n;
        FloatVector acc = FloatVector.zero(F);
        int full = n / L * L;
        int i = 0;
        for (; i < full; i += L) {
            acc = FloatVector.fromArray(F, buf, b + i).fma(FloatVector.fromArray(F, x, xo + i), acc);
        }
        if (i < n) {
            acc = FloatVector.fromArray(F, buf, b + i).fma(FloatVector.fromArray(F, x, xo + i, F.indexInRange(i, n)), acc);
        }
        return VectorMath.sum(acc);
    }
}
