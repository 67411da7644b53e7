package dev.tandem.core.cpu;

import static dev.tandem.core.cpu.VectorMath.F;
import static dev.tandem.core.cpu.VectorMath.L;

import dev.tandem.core.DType;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

/**
 * Q2_K weights: 84-byte super-blocks of 16 scale bytes (4-bit scale, 4-bit min), 64 bytes of two-bit values, d and
 * dmin; 16 groups of 16 values, each {@code d·sc·q - dmin·m}. Each row pair's scales and mins are decoded to floats
 * once before the kernels ({@link #prepare}), as Q4_K's are ({@link SuperBlockScales}), and the mins come off with
 * one FMA per super-block against x's negated 16-value group sums; a group is one vector (two at 8 lanes), too
 * short for a per-group partial to pay, so each vector of integers is scaled ({@code q·(d·sc)}) and FMA'd into the
 * accumulator, in the same order on every path (batch-invariant). {@link #decodeVector} keeps the value order and
 * arithmetic of {@link dev.tandem.core.codec.Q2_KCodec}, bit for bit.
 */
final class Q2_KKernels extends GroupScaledKernels {
    Q2_KKernels() {
        super(DType.Q2_K, true, 16);
    }

    @Override
    void decodeVector(MemorySegment w, long row, int n, float[] buf, int b) {
        for (int blk = 0; blk < n / 256; blk++) {
            long o = row + 84L * blk;
            float d = BlockLoads.scale(w, o + 80), min = BlockLoads.scale(w, o + 82);
            for (int g = 0; g < 16; g++) {
                int sc = scaleByte(w, o, g);
                float dl = d * (sc & 0xF), ml = min * (sc >>> 4);
                for (int l = 0; l < 16; l += L) {
                    values(w, o, g, l).mul(dl).sub(ml).intoArray(buf, b + 256 * blk + 16 * g + l);
                }
            }
        }
    }

    /** Floats per super-block in the kernels' scratch: d times its 16 scales, then dmin times its 16 mins. */
    private static final int STRIDE = 32;

    /** The negated 16-value group sums of each batch row: one FMA per super-block against its 16 mins takes them off. */
    @Override
    float[] xTerms(float[] x, int rows, int n) {
        float[] xs = groupSums(x, rows, n, 16);
        for (int g = 0; g < xs.length; g++) {
            xs[g] = -xs[g];
        }
        return xs;
    }

    @Override
    int scratchFloats(int n) {
        return 2 * STRIDE * (n / 256);
    }

    /** Rows j and j + q's scales and mins as floats into {@code lanes[8 L ..]}: a vector each per 16 scale bytes' nibbles. */
    @Override
    void prepare(MemorySegment w, long rowBytes, int n, int j, int q, float[] lanes, boolean oneRow) {
        int blocks = n / 256;
        for (int t = 0; t < 2; t++) {
            long row = (j + t * q) * rowBytes;
            int o = 8 * L + t * STRIDE * blocks;
            for (int blk = 0; blk < blocks; blk++) {
                long sb = row + 84L * blk;
                float dd = BlockLoads.scale(w, sb + 80), dm = BlockLoads.scale(w, sb + 82);
                for (int h = 0; h < 16; h += L) {
                    BlockLoads.nibbleFloats(w, sb + h, 0).mul(dd).intoArray(lanes, o + STRIDE * blk + h);
                    BlockLoads.nibbleFloats(w, sb + h, 4).mul(dm).intoArray(lanes, o + STRIDE * blk + 16 + h);
                }
            }
        }
    }

    /**
     * Weight rows j and j + q against batch row r, their scales and mins decoded by {@link #prepare}: each vector of
     * integers times its group's scale, FMA'd into the accumulator; per super-block its 16 mins FMA'd against the
     * negated group sums.
     */
    @Override
    void x1(float[] out, float[] x, float[] xs, int r, MemorySegment w, long rowBytes, int n, int d, int j, int q,
            float[] lanes) {
        long w0 = j * rowBytes, w1 = w0 + q * rowBytes;
        int blocks = n / 256, xo = r * n, mo = r * (n / 16);
        int k0 = 8 * L, k1 = k0 + STRIDE * blocks;
        FloatVector a0 = FloatVector.zero(F), a1 = a0;
        for (int blk = 0; blk < blocks; blk++, k0 += STRIDE, k1 += STRIDE) {
            long o0 = w0 + 84L * blk, o1 = w1 + 84L * blk;
            for (int g = 0; g < 16; g++) {
                int i = xo + 256 * blk + 16 * g;
                float c0 = lanes[k0 + g], c1 = lanes[k1 + g];
                for (int l = 0; l < 16; l += L) {
                    FloatVector v = FloatVector.fromArray(F, x, i + l);
                    a0 = values(w, o0, g, l).mul(c0).fma(v, a0);
                    a1 = values(w, o1, g, l).mul(c1).fma(v, a1);
                }
            }
            for (int h = 0; h < 16; h += L) {
                FloatVector m = FloatVector.fromArray(F, xs, mo + 16 * blk + h);
                a0 = FloatVector.fromArray(F, lanes, k0 + 16 + h).fma(m, a0);
                a1 = FloatVector.fromArray(F, lanes, k1 + 16 + h).fma(m, a1);
            }
        }
        a0.intoArray(lanes, 0);
        a1.intoArray(lanes, L);
        VectorMath.laneSums(lanes, 2);
        out[r * d + j] = lanes[0];
        out[r * d + j + q] = lanes[1];
    }

    /** Weight rows j and j + q against batch rows r and r + 1: each two-bit value decoded once for both, {@link #x1}'s chains. */
    @Override
    void x2(float[] out, float[] x, float[] xs, int r, MemorySegment w, long rowBytes, int n, int d, int j, int q,
            float[] lanes) {
        long w0 = j * rowBytes, w1 = w0 + q * rowBytes;
        int blocks = n / 256, groups = n / 16, mo = r * groups;
        int k0 = 8 * L, k1 = k0 + STRIDE * blocks;
        FloatVector a00 = FloatVector.zero(F), a01 = a00, a10 = a00, a11 = a00;
        for (int blk = 0; blk < blocks; blk++, k0 += STRIDE, k1 += STRIDE) {
            long o0 = w0 + 84L * blk, o1 = w1 + 84L * blk;
            for (int g = 0; g < 16; g++) {
                float c0 = lanes[k0 + g], c1 = lanes[k1 + g];
                int i = r * n + 256 * blk + 16 * g;
                for (int l = 0; l < 16; l += L) {
                    FloatVector v0 = values(w, o0, g, l).mul(c0), v1 = values(w, o1, g, l).mul(c1);
                    FloatVector v = FloatVector.fromArray(F, x, i + l);
                    a00 = v0.fma(v, a00); a01 = v1.fma(v, a01);
                    v = FloatVector.fromArray(F, x, i + n + l);
                    a10 = v0.fma(v, a10); a11 = v1.fma(v, a11);
                }
            }
            for (int h = 0; h < 16; h += L) {
                FloatVector m0 = FloatVector.fromArray(F, lanes, k0 + 16 + h), m1 = FloatVector.fromArray(F, lanes, k1 + 16 + h);
                int xm = mo + 16 * blk + h;
                FloatVector m = FloatVector.fromArray(F, xs, xm);
                a00 = m0.fma(m, a00); a01 = m1.fma(m, a01);
                m = FloatVector.fromArray(F, xs, xm + groups);
                a10 = m0.fma(m, a10); a11 = m1.fma(m, a11);
            }
        }
        a00.intoArray(lanes, 0); a01.intoArray(lanes, L); a10.intoArray(lanes, 2 * L); a11.intoArray(lanes, 3 * L);
        storeTile(out, lanes, 4, r * d + j, d, q);
    }

    /** Weight rows j and j + q against batch rows r..r+3: each two-bit value decoded once for four rows, {@link #x1}'s chains. */
    @Override
    void x4(float[] out, float[] x, float[] xs, int r, MemorySegment w, long rowBytes, int n, int d, int j, int q,
            float[] lanes) {
        long w0 = j * rowBytes, w1 = w0 + q * rowBytes;
        int blocks = n / 256, groups = n / 16, mo = r * groups;
        int k0 = 8 * L, k1 = k0 + STRIDE * blocks;
        FloatVector a00 = FloatVector.zero(F), a01 = a00, a10 = a00, a11 = a00, a20 = a00, a21 = a00, a30 = a00, a31 = a00;
        for (int blk = 0; blk < blocks; blk++, k0 += STRIDE, k1 += STRIDE) {
            long o0 = w0 + 84L * blk, o1 = w1 + 84L * blk;
            for (int g = 0; g < 16; g++) {
                float c0 = lanes[k0 + g], c1 = lanes[k1 + g];
                int i = r * n + 256 * blk + 16 * g;
                for (int l = 0; l < 16; l += L) {
                    FloatVector v0 = values(w, o0, g, l).mul(c0), v1 = values(w, o1, g, l).mul(c1);
                    FloatVector v = FloatVector.fromArray(F, x, i + l);
                    a00 = v0.fma(v, a00); a01 = v1.fma(v, a01);
                    v = FloatVector.fromArray(F, x, i + n + l);
                    a10 = v0.fma(v, a10); a11 = v1.fma(v, a11);
                    v = FloatVector.fromArray(F, x, i + 2 * n + l);
                    a20 = v0.fma(v, a20); a21 = v1.fma(v, a21);
                    v = FloatVector.fromArray(F, x, i + 3 * n + l);
                    a30 = v0.fma(v, a30); a31 = v1.fma(v, a31);
                }
            }
            for (int h = 0; h < 16; h += L) {
                FloatVector m0 = FloatVector.fromArray(F, lanes, k0 + 16 + h), m1 = FloatVector.fromArray(F, lanes, k1 + 16 + h);
                int xm = mo + 16 * blk + h;
                FloatVector m = FloatVector.fromArray(F, xs, xm);
                a00 = m0.fma(m, a00); a01 = m1.fma(m, a01);
                m = FloatVector.fromArray(F, xs, xm + groups);
                a10 = m0.fma(m, a10); a11 = m1.fma(m, a11);
                m = FloatVector.fromArray(F, xs, xm + 2 * groups);
                a20 = m0.fma(m, a20); a21 = m1.fma(m, a21);
                m = FloatVector.fromArray(F, xs, xm + 3 * groups);
                a30 = m0.fma(m, a30); a31 = m1.fma(m, a31);
            }
        }
        a00.intoArray(lanes, 0); a01.intoArray(lanes, L); a10.intoArray(lanes, 2 * L); a11.intoArray(lanes, 3 * L);
        a20.intoArray(lanes, 4 * L); a21.intoArray(lanes, 5 * L); a30.intoArray(lanes, 6 * L); a31.intoArray(lanes, 7 * L);
        storeTile(out, lanes, 8, r * d + j, d, q);
    }

    /** Group g's scale byte (low nibble: scale, high: min) of the super-block at o. */
    private static int scaleByte(MemorySegment w, long o, int g) {
        return w.get(ValueLayout.JAVA_BYTE, o + g) & 0xFF;
    }

    /** L two-bit values l.. of group g of the super-block at o, as floats 0..3. */
    private static FloatVector values(MemorySegment w, long o, int g, int l) {
        return (FloatVector) BlockLoads.twoBits(w, o + 16, g, l).convert(VectorOperators.I2F, 0);
    }

    /** Q2_K weights multiply int8 activations where the backend allows them ({@link Q2_KLaneKernels}). */
    @Override
    WeightKernels forWeights(dev.tandem.core.Tensor w, boolean int8Activations, WorkerPool pool) {
        return int8Activations ? Q2_KLaneKernels.of(w, this, pool) : this;
    }
}
