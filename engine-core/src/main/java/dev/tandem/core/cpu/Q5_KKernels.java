package dev.tandem.core.cpu;

import static dev.tandem.core.cpu.VectorMath.F;
import static dev.tandem.core.cpu.VectorMath.L;

import dev.tandem.core.DType;
import dev.tandem.core.codec.KQuantScales;
import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;

/**
 * Q5_K weights (most of a Q5_K_M file): 176-byte super-blocks of d, dmin, 12 bytes of 6-bit scales and mins,
 * 32 bytes of fifth bits (bit g of byte l for value l of group g) and 128 bytes of nibbles (group 2c in the low
 * nibbles of quarter c's 32 bytes, group 2c + 1 in the high ones). The arithmetic every path shares is
 * {@link GroupScaledKernels}'; the 5-bit integers are cut out on byte lanes ({@link BlockLoads#q5KBytes}).
 */
final class Q5_KKernels extends SuperBlockScales {
    Q5_KKernels() {
        super(DType.Q5_K);
    }

    @Override
    void decodeVector(MemorySegment w, long row, int n, float[] buf, int b) {
        for (int blk = 0; blk < n / 256; blk++) {
            long o = row + 176L * blk;
            float d = BlockLoads.scale(w, o), dmin = BlockLoads.scale(w, o + 2);
            for (int g = 0; g < 8; g++) {
                float dg = d * KQuantScales.scale(w, o + 4, g), mg = dmin * KQuantScales.min(w, o + 4, g);
                long q = o + 48 + 32L * (g >> 1);
                int y = b + 256 * blk + 32 * g;
                for (int l = 0; l < 32; l += L) {
                    BlockLoads.bytesToFloats(BlockLoads.q5KBytes(w, q + l, o + 16 + l, g)).mul(dg).sub(mg).intoArray(buf, y + l);
                }
            }
        }
    }

    /**
     * Weight rows j and j + q (q = 0: row j alone) against batch row r, one at a time: a kernel over both rows
     * passed C2's node cut-off and boxed its vectors (440 MB allocated per 64 MiB matmul). The row's loop is
     * written out here rather than in a helper: a method this long (over C2's 325 bytecodes for a hot callee) is
     * compiled on its own, never inside {@code range} beside the scales' decode and the other tiles, where it
     * passed the cut-off and boxed at random (3 batch rows 10x slower than 2 in some JVMs).
     */
    @Override
    void x1(float[] out, float[] x, float[] xs, int r, MemorySegment w, long rowBytes, int n, int d, int j, int q,
            float[] lanes) {
        int blocks = n / 256, xo = r * n, mo = r * blocks * STRIDE + MINS_AT;
        int k0 = 8 * L;
        for (int f = j; f <= j + q; f += Math.max(q, 1), k0 += STRIDE * blocks) { // one weight row at a time
            long w0 = f * rowBytes;
            int k = k0;
            FloatVector a = FloatVector.zero(F);
            for (int blk = 0; blk < blocks; blk++, k += STRIDE) {
                long o = w0 + 176L * blk;
                for (int g = 0; g < 8; g++) {
                    long at = o + 48 + 32L * (g >> 1);
                    int i = xo + 256 * blk + 32 * g;
                    FloatVector p = FloatVector.zero(F);
                    for (int l = 0; l < 32; l += L) {
                        p = BlockLoads.bytesToFloats(BlockLoads.q5KBytes(w, at + l, o + 16 + l, g))
                                .fma(FloatVector.fromArray(F, x, i + l), p);
                    }
                    a = p.fma(FloatVector.broadcast(F, lanes[k + g]), a);
                }
                a = FloatVector.fromArray(F, lanes, k + MINS_AT)
                        .fma(FloatVector.fromArray(F, xs, mo + STRIDE * blk), a);
            }
            a.intoArray(lanes, 0);
            out[r * d + f] = VectorMath.sumStored(lanes, 0);
        }
    }

    /** Weight rows j and j + q against batch rows r and r + 1, each row's bits cut out once for the two. */
    @Override
    void x2(float[] out, float[] x, float[] xs, int r, MemorySegment w, long rowBytes, int n, int d, int j, int q,
            float[] lanes) {
        int k = 8 * L;
        for (int f = j; f <= j + q; f += Math.max(q, 1), k += STRIDE * (n / 256)) {
            row2(out, x, xs, r, w, f * rowBytes, n, d, f, lanes, k);
        }
    }

    /** One weight row (at byte w0, feature j) against batch rows r and r + 1: {@link #x1}'s chains, two at once. */
    private static void row2(float[] out, float[] x, float[] xs, int r, MemorySegment w, long w0, int n, int d, int j,
                             float[] lanes, int k) {
        int blocks = n / 256, mr = blocks * STRIDE, mo = r * mr + MINS_AT;
        FloatVector a0 = FloatVector.zero(F), a1 = a0;
        for (int blk = 0; blk < blocks; blk++, k += STRIDE) {
            long o = w0 + 176L * blk;
            for (int g = 0; g < 8; g++) {
                long at = o + 48 + 32L * (g >> 1);
                int i = r * n + 256 * blk + 32 * g;
                FloatVector p0 = FloatVector.zero(F), p1 = p0;
                for (int l = 0; l < 32; l += L) {
                    FloatVector v = BlockLoads.bytesToFloats(BlockLoads.q5KBytes(w, at + l, o + 16 + l, g));
                    p0 = v.fma(FloatVector.fromArray(F, x, i + l), p0);
                    p1 = v.fma(FloatVector.fromArray(F, x, i + n + l), p1);
                }
                FloatVector s = FloatVector.broadcast(F, lanes[k + g]);
                a0 = p0.fma(s, a0);
                a1 = p1.fma(s, a1);
            }
            FloatVector m = FloatVector.fromArray(F, lanes, k + MINS_AT);
            int xm = mo + STRIDE * blk;
            a0 = m.fma(FloatVector.fromArray(F, xs, xm), a0);
            a1 = m.fma(FloatVector.fromArray(F, xs, xm + mr), a1);
        }
        a0.intoArray(lanes, 0); a1.intoArray(lanes, L);
        VectorMath.laneSums(lanes, 2);
        out[r * d + j] = lanes[0];
        out[(r + 1) * d + j] = lanes[1];
    }

    /** Weight rows j and j + q against batch rows r..r+2, each row's bits cut out once for the three. */
    @Override
    void x3(float[] out, float[] x, float[] xs, int r, MemorySegment w, long rowBytes, int n, int d, int j, int q,
            float[] lanes) {
        int k = 8 * L;
        for (int f = j; f <= j + q; f += Math.max(q, 1), k += STRIDE * (n / 256)) {
            row3(out, x, xs, r, w, f * rowBytes, n, d, f, lanes, k);
        }
    }

    /** One weight row (at byte w0, feature j) against batch rows r..r+2: {@link #x1}'s chains, three at once. */
    private static void row3(float[] out, float[] x, float[] xs, int r, MemorySegment w, long w0, int n, int d, int j,
                             float[] lanes, int k) {
        int blocks = n / 256, mr = blocks * STRIDE, mo = r * mr + MINS_AT;
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0;
        for (int blk = 0; blk < blocks; blk++, k += STRIDE) {
            long o = w0 + 176L * blk;
            for (int g = 0; g < 8; g++) {
                long at = o + 48 + 32L * (g >> 1);
                int i = r * n + 256 * blk + 32 * g;
                FloatVector p0 = FloatVector.zero(F), p1 = p0, p2 = p0;
                for (int l = 0; l < 32; l += L) {
                    FloatVector v = BlockLoads.bytesToFloats(BlockLoads.q5KBytes(w, at + l, o + 16 + l, g));
                    p0 = v.fma(FloatVector.fromArray(F, x, i + l), p0);
                    p1 = v.fma(FloatVector.fromArray(F, x, i + n + l), p1);
                    p2 = v.fma(FloatVector.fromArray(F, x, i + 2 * n + l), p2);
                }
                FloatVector s = FloatVector.broadcast(F, lanes[k + g]);
                a0 = p0.fma(s, a0);
                a1 = p1.fma(s, a1);
                a2 = p2.fma(s, a2);
            }
            FloatVector m = FloatVector.fromArray(F, lanes, k + MINS_AT);
            int xm = mo + STRIDE * blk;
            a0 = m.fma(FloatVector.fromArray(F, xs, xm), a0);
            a1 = m.fma(FloatVector.fromArray(F, xs, xm + mr), a1);
            a2 = m.fma(FloatVector.fromArray(F, xs, xm + 2 * mr), a2);
        }
        a0.intoArray(lanes, 0); a1.intoArray(lanes, L); a2.intoArray(lanes, 2 * L);
        VectorMath.laneSums(lanes, 3);
        out[r * d + j] = lanes[0];
        out[(r + 1) * d + j] = lanes[1];
        out[(r + 2) * d + j] = lanes[2];
    }

    /** Weight rows j and j + q against batch rows r..r+3, each row's bits cut out once for the four. */
    @Override
    void x4(float[] out, float[] x, float[] xs, int r, MemorySegment w, long rowBytes, int n, int d, int j, int q,
            float[] lanes) {
        int k = 8 * L;
        for (int f = j; f <= j + q; f += Math.max(q, 1), k += STRIDE * (n / 256)) {
            row4(out, x, xs, r, w, f * rowBytes, n, d, f, lanes, k);
        }
    }

    /** One weight row (at byte w0, feature j) against batch rows r..r+3: {@link #x1}'s chains, four at once. */
    private static void row4(float[] out, float[] x, float[] xs, int r, MemorySegment w, long w0, int n, int d, int j,
                             float[] lanes, int k) {
        int blocks = n / 256, mr = blocks * STRIDE, mo = r * mr + MINS_AT;
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        for (int blk = 0; blk < blocks; blk++, k += STRIDE) {
            long o = w0 + 176L * blk;
            for (int g = 0; g < 8; g++) {
                long at = o + 48 + 32L * (g >> 1);
                int i = r * n + 256 * blk + 32 * g;
                FloatVector p0 = FloatVector.zero(F), p1 = p0, p2 = p0, p3 = p0;
                for (int l = 0; l < 32; l += L) {
                    FloatVector v = BlockLoads.bytesToFloats(BlockLoads.q5KBytes(w, at + l, o + 16 + l, g));
                    p0 = v.fma(FloatVector.fromArray(F, x, i + l), p0);
                    p1 = v.fma(FloatVector.fromArray(F, x, i + n + l), p1);
                    p2 = v.fma(FloatVector.fromArray(F, x, i + 2 * n + l), p2);
                    p3 = v.fma(FloatVector.fromArray(F, x, i + 3 * n + l), p3);
                }
                FloatVector s = FloatVector.broadcast(F, lanes[k + g]);
                a0 = p0.fma(s, a0);
                a1 = p1.fma(s, a1);
                a2 = p2.fma(s, a2);
                a3 = p3.fma(s, a3);
            }
            FloatVector m = FloatVector.fromArray(F, lanes, k + MINS_AT);
            int xm = mo + STRIDE * blk;
            a0 = m.fma(FloatVector.fromArray(F, xs, xm), a0);
            a1 = m.fma(FloatVector.fromArray(F, xs, xm + mr), a1);
            a2 = m.fma(FloatVector.fromArray(F, xs, xm + 2 * mr), a2);
            a3 = m.fma(FloatVector.fromArray(F, xs, xm + 3 * mr), a3);
        }
        a0.intoArray(lanes, 0); a1.intoArray(lanes, L); a2.intoArray(lanes, 2 * L); a3.intoArray(lanes, 3 * L);
        VectorMath.laneSums(lanes, 4);
        out[r * d + j] = lanes[0];
        out[(r + 1) * d + j] = lanes[1];
        out[(r + 2) * d + j] = lanes[2];
        out[(r + 3) * d + j] = lanes[3];
    }
}
