package dev.tandem.core.cpu;

import static dev.tandem.core.cpu.VectorMath.F;
import static dev.tandem.core.cpu.VectorMath.L;

import dev.tandem.core.DType;
import dev.tandem.core.codec.KQuantScales;
import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

/**
 * Q4_K weights (most of a Q4_K_M file): 144-byte super-blocks of d, dmin, 12 bytes of 6-bit scales and mins,
 * and 128 bytes of nibbles (group 2c in the low nibbles of quarter c's 32 bytes, group 2c + 1 in the high ones).
 * The arithmetic every path shares is {@link GroupScaledKernels}'.
 */
final class Q4_KKernels extends SuperBlockScales {
    Q4_KKernels() {
        super(DType.Q4_K);
    }

    /** Q4_K weights multiply int8 activations where the backend allows them ({@link Q8LaneKernels}). */
    @Override
    WeightKernels forWeights(dev.tandem.core.Tensor w, boolean int8Activations, WorkerPool pool) {
        return int8Activations ? Q8LaneKernels.of(w, this, pool) : this;
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
     * Weight rows j and j + q against batch row r, their scales and mins decoded by {@link #prepare}: per group the
     * nibbles' partial times the group's scale, per super-block one FMA of its mins against the negated group sums
     * ({@code xs}, {@link SuperBlockScales#negatedGroupSums}).
     */
    @Override
    void x1(float[] out, float[] x, float[] xs, int r, MemorySegment w, long rowBytes, int n, int d, int j, int q,
            float[] lanes) {
        long w0 = j * rowBytes, w1 = w0 + q * rowBytes;
        int blocks = n / 256, xo = r * n, mo = r * blocks * STRIDE + MINS_AT;
        int k0 = 8 * L, k1 = k0 + STRIDE * blocks;
        FloatVector a0 = FloatVector.zero(F), a1 = a0;
        for (int blk = 0; blk < blocks; blk++, k0 += STRIDE, k1 += STRIDE) {
            long o0 = w0 + 144L * blk, o1 = w1 + 144L * blk;
            for (int g = 0; g < 8; g += 2) { // groups g and g + 1: the low and high nibbles of quarter g / 2's bytes
                long at = 16 + 16L * g;
                int i = xo + 256 * blk + 32 * g;
                FloatVector p0 = FloatVector.zero(F), p1 = p0, h0 = p0, h1 = p0;
                for (int l = 0; l < 32; l += L) {
                    FloatVector v = FloatVector.fromArray(F, x, i + l), u = FloatVector.fromArray(F, x, i + 32 + l);
                    ByteVector b0 = BlockLoads.bytes(w, o0 + at + l), b1 = BlockLoads.bytes(w, o1 + at + l);
                    p0 = BlockLoads.lowNibbles(b0).fma(v, p0);
                    p1 = BlockLoads.lowNibbles(b1).fma(v, p1);
                    h0 = BlockLoads.nibbleFloats(b0, 4).fma(u, h0);
                    h1 = BlockLoads.nibbleFloats(b1, 4).fma(u, h1);
                }
                a0 = p0.fma(FloatVector.broadcast(F, lanes[k0 + g]), a0);
                a1 = p1.fma(FloatVector.broadcast(F, lanes[k1 + g]), a1);
                a0 = h0.fma(FloatVector.broadcast(F, lanes[k0 + g + 1]), a0);
                a1 = h1.fma(FloatVector.broadcast(F, lanes[k1 + g + 1]), a1);
            }
            FloatVector m = FloatVector.fromArray(F, xs, mo + STRIDE * blk);
            a0 = FloatVector.fromArray(F, lanes, k0 + MINS_AT).fma(m, a0);
            a1 = FloatVector.fromArray(F, lanes, k1 + MINS_AT).fma(m, a1);
        }
        a0.intoArray(lanes, 0);
        a1.intoArray(lanes, L);
        VectorMath.laneSums(lanes, 2);
        out[r * d + j] = lanes[0];
        out[r * d + j + q] = lanes[1];
    }

    /**
     * Weight rows j and j + q against batch rows r and r + 1: each byte loaded once for its low and high nibble, as in
     * {@link #x1}, and each nibble decoded once for both rows; {@link #x1}'s chains.
     */
    @Override
    void x2(float[] out, float[] x, float[] xs, int r, MemorySegment w, long rowBytes, int n, int d, int j, int q,
            float[] lanes) {
        long w0 = j * rowBytes, w1 = w0 + q * rowBytes;
        int blocks = n / 256, mr = blocks * STRIDE, mo = r * mr + MINS_AT;
        int k0 = 8 * L, k1 = k0 + STRIDE * blocks;
        FloatVector a00 = FloatVector.zero(F), a01 = a00, a10 = a00, a11 = a00;
        for (int blk = 0; blk < blocks; blk++, k0 += STRIDE, k1 += STRIDE) {
            long o0 = w0 + 144L * blk, o1 = w1 + 144L * blk;
            for (int g = 0; g < 8; g += 2) { // groups g and g + 1: the low and high nibbles of quarter g / 2's bytes
                long at = 16 + 16L * g;
                int i = r * n + 256 * blk + 32 * g;
                FloatVector p00 = FloatVector.zero(F), p01 = p00, p10 = p00, p11 = p00;
                FloatVector h00 = p00, h01 = p00, h10 = p00, h11 = p00;
                for (int l = 0; l < 32; l += L) {
                    ByteVector b0 = BlockLoads.bytes(w, o0 + at + l), b1 = BlockLoads.bytes(w, o1 + at + l);
                    FloatVector v0 = BlockLoads.lowNibbles(b0), v1 = BlockLoads.lowNibbles(b1);
                    FloatVector v = FloatVector.fromArray(F, x, i + l);
                    p00 = v0.fma(v, p00); p01 = v1.fma(v, p01);
                    v = FloatVector.fromArray(F, x, i + n + l);
                    p10 = v0.fma(v, p10); p11 = v1.fma(v, p11);
                    v0 = BlockLoads.nibbleFloats(b0, 4); v1 = BlockLoads.nibbleFloats(b1, 4);
                    v = FloatVector.fromArray(F, x, i + 32 + l);
                    h00 = v0.fma(v, h00); h01 = v1.fma(v, h01);
                    v = FloatVector.fromArray(F, x, i + n + 32 + l);
                    h10 = v0.fma(v, h10); h11 = v1.fma(v, h11);
                }
                FloatVector s0 = FloatVector.broadcast(F, lanes[k0 + g]), s1 = FloatVector.broadcast(F, lanes[k1 + g]);
                a00 = p00.fma(s0, a00); a01 = p01.fma(s1, a01);
                a10 = p10.fma(s0, a10); a11 = p11.fma(s1, a11);
                s0 = FloatVector.broadcast(F, lanes[k0 + g + 1]); s1 = FloatVector.broadcast(F, lanes[k1 + g + 1]);
                a00 = h00.fma(s0, a00); a01 = h01.fma(s1, a01);
                a10 = h10.fma(s0, a10); a11 = h11.fma(s1, a11);
            }
            FloatVector m0 = FloatVector.fromArray(F, lanes, k0 + MINS_AT);
            FloatVector m1 = FloatVector.fromArray(F, lanes, k1 + MINS_AT);
            int xm = mo + STRIDE * blk;
            FloatVector m = FloatVector.fromArray(F, xs, xm);
            a00 = m0.fma(m, a00); a01 = m1.fma(m, a01);
            m = FloatVector.fromArray(F, xs, xm + mr);
            a10 = m0.fma(m, a10); a11 = m1.fma(m, a11);
        }
        a00.intoArray(lanes, 0); a01.intoArray(lanes, L); a10.intoArray(lanes, 2 * L); a11.intoArray(lanes, 3 * L);
        storeTile(out, lanes, 4, r * d + j, d, q);
    }

    /**
     * Weight rows j and j + q against batch rows r..r+2: {@link #x2}'s tile with a third row, each byte loaded once and
     * each nibble decoded once for the three rows (where the default ran {@link #x2} and then {@link #x1}, decoding
     * every nibble twice); {@link #x1}'s chains.
     */
    @Override
    void x3(float[] out, float[] x, float[] xs, int r, MemorySegment w, long rowBytes, int n, int d, int j, int q,
            float[] lanes) {
        long w0 = j * rowBytes, w1 = w0 + q * rowBytes;
        int blocks = n / 256, mr = blocks * STRIDE, mo = r * mr + MINS_AT;
        int k0 = 8 * L, k1 = k0 + STRIDE * blocks;
        FloatVector a00 = FloatVector.zero(F), a01 = a00, a10 = a00, a11 = a00, a20 = a00, a21 = a00;
        for (int blk = 0; blk < blocks; blk++, k0 += STRIDE, k1 += STRIDE) {
            long o0 = w0 + 144L * blk, o1 = w1 + 144L * blk;
            for (int g = 0; g < 8; g += 2) { // groups g and g + 1: the low and high nibbles of quarter g / 2's bytes
                long at = 16 + 16L * g;
                int i = r * n + 256 * blk + 32 * g;
                FloatVector p00 = FloatVector.zero(F), p01 = p00, p10 = p00, p11 = p00, p20 = p00, p21 = p00;
                FloatVector h00 = p00, h01 = p00, h10 = p00, h11 = p00, h20 = p00, h21 = p00;
                for (int l = 0; l < 32; l += L) {
                    ByteVector b0 = BlockLoads.bytes(w, o0 + at + l), b1 = BlockLoads.bytes(w, o1 + at + l);
                    FloatVector v0 = BlockLoads.lowNibbles(b0), v1 = BlockLoads.lowNibbles(b1);
                    FloatVector v = FloatVector.fromArray(F, x, i + l);
                    p00 = v0.fma(v, p00); p01 = v1.fma(v, p01);
                    v = FloatVector.fromArray(F, x, i + n + l);
                    p10 = v0.fma(v, p10); p11 = v1.fma(v, p11);
                    v = FloatVector.fromArray(F, x, i + 2 * n + l);
                    p20 = v0.fma(v, p20); p21 = v1.fma(v, p21);
                    v0 = BlockLoads.nibbleFloats(b0, 4); v1 = BlockLoads.nibbleFloats(b1, 4);
                    v = FloatVector.fromArray(F, x, i + 32 + l);
                    h00 = v0.fma(v, h00); h01 = v1.fma(v, h01);
                    v = FloatVector.fromArray(F, x, i + n + 32 + l);
                    h10 = v0.fma(v, h10); h11 = v1.fma(v, h11);
                    v = FloatVector.fromArray(F, x, i + 2 * n + 32 + l);
                    h20 = v0.fma(v, h20); h21 = v1.fma(v, h21);
                }
                FloatVector s0 = FloatVector.broadcast(F, lanes[k0 + g]), s1 = FloatVector.broadcast(F, lanes[k1 + g]);
                a00 = p00.fma(s0, a00); a01 = p01.fma(s1, a01);
                a10 = p10.fma(s0, a10); a11 = p11.fma(s1, a11);
                a20 = p20.fma(s0, a20); a21 = p21.fma(s1, a21);
                s0 = FloatVector.broadcast(F, lanes[k0 + g + 1]); s1 = FloatVector.broadcast(F, lanes[k1 + g + 1]);
                a00 = h00.fma(s0, a00); a01 = h01.fma(s1, a01);
                a10 = h10.fma(s0, a10); a11 = h11.fma(s1, a11);
                a20 = h20.fma(s0, a20); a21 = h21.fma(s1, a21);
            }
            FloatVector m0 = FloatVector.fromArray(F, lanes, k0 + MINS_AT);
            FloatVector m1 = FloatVector.fromArray(F, lanes, k1 + MINS_AT);
            int xm = mo + STRIDE * blk;
            FloatVector m = FloatVector.fromArray(F, xs, xm);
            a00 = m0.fma(m, a00); a01 = m1.fma(m, a01);
            m = FloatVector.fromArray(F, xs, xm + mr);
            a10 = m0.fma(m, a10); a11 = m1.fma(m, a11);
            m = FloatVector.fromArray(F, xs, xm + 2 * mr);
            a20 = m0.fma(m, a20); a21 = m1.fma(m, a21);
        }
        a00.intoArray(lanes, 0); a01.intoArray(lanes, L); a10.intoArray(lanes, 2 * L); a11.intoArray(lanes, 3 * L);
        a20.intoArray(lanes, 4 * L); a21.intoArray(lanes, 5 * L);
        storeTile(out, lanes, 6, r * d + j, d, q);
    }

    /** Weight rows j and j + q against batch rows r..r+3: each nibble decoded once for four rows, {@link #x1}'s chains. */
    @Override
    void x4(float[] out, float[] x, float[] xs, int r, MemorySegment w, long rowBytes, int n, int d, int j, int q,
            float[] lanes) {
        long w0 = j * rowBytes, w1 = w0 + q * rowBytes;
        int blocks = n / 256, mo = r * blocks * STRIDE + MINS_AT;
        int mr = blocks * STRIDE;
        int k0 = 8 * L, k1 = k0 + STRIDE * blocks;
        FloatVector a00 = FloatVector.zero(F), a01 = a00, a10 = a00, a11 = a00, a20 = a00, a21 = a00, a30 = a00, a31 = a00;
        for (int blk = 0; blk < blocks; blk++, k0 += STRIDE, k1 += STRIDE) {
            long o0 = w0 + 144L * blk, o1 = w1 + 144L * blk;
            for (int g = 0; g < 8; g++) { // group g: nibbles (low for even g, high for odd) of quarter g / 2's bytes
                int shift = 4 * (g & 1);
                long at = 16 + 32L * (g >> 1);
                int i = r * n + 256 * blk + 32 * g;
                FloatVector p00 = FloatVector.zero(F), p01 = p00, p10 = p00, p11 = p00;
                FloatVector p20 = p00, p21 = p00, p30 = p00, p31 = p00;
                for (int l = 0; l < 32; l += L) {
                    FloatVector v0 = (FloatVector) BlockLoads.bytesAsInts(w, o0 + at + l).lanewise(VectorOperators.ASHR, shift)
                            .and(0x0F).convert(VectorOperators.I2F, 0);
                    FloatVector v1 = (FloatVector) BlockLoads.bytesAsInts(w, o1 + at + l).lanewise(VectorOperators.ASHR, shift)
                            .and(0x0F).convert(VectorOperators.I2F, 0);
                    FloatVector v = FloatVector.fromArray(F, x, i + l);
                    p00 = v0.fma(v, p00); p01 = v1.fma(v, p01);
                    v = FloatVector.fromArray(F, x, i + n + l);
                    p10 = v0.fma(v, p10); p11 = v1.fma(v, p11);
                    v = FloatVector.fromArray(F, x, i + 2 * n + l);
                    p20 = v0.fma(v, p20); p21 = v1.fma(v, p21);
                    v = FloatVector.fromArray(F, x, i + 3 * n + l);
                    p30 = v0.fma(v, p30); p31 = v1.fma(v, p31);
                }
                FloatVector s0 = FloatVector.broadcast(F, lanes[k0 + g]), s1 = FloatVector.broadcast(F, lanes[k1 + g]);
                a00 = p00.fma(s0, a00); a01 = p01.fma(s1, a01);
                a10 = p10.fma(s0, a10); a11 = p11.fma(s1, a11);
                a20 = p20.fma(s0, a20); a21 = p21.fma(s1, a21);
                a30 = p30.fma(s0, a30); a31 = p31.fma(s1, a31);
            }
            FloatVector m0 = FloatVector.fromArray(F, lanes, k0 + MINS_AT);
            FloatVector m1 = FloatVector.fromArray(F, lanes, k1 + MINS_AT);
            int xm = mo + STRIDE * blk;
            FloatVector m = FloatVector.fromArray(F, xs, xm);
            a00 = m0.fma(m, a00); a01 = m1.fma(m, a01);
            m = FloatVector.fromArray(F, xs, xm + mr);
            a10 = m0.fma(m, a10); a11 = m1.fma(m, a11);
            m = FloatVector.fromArray(F, xs, xm + 2 * mr);
            a20 = m0.fma(m, a20); a21 = m1.fma(m, a21);
            m = FloatVector.fromArray(F, xs, xm + 3 * mr);
            a30 = m0.fma(m, a30); a31 = m1.fma(m, a31);
        }
        a00.intoArray(lanes, 0); a01.intoArray(lanes, L); a10.intoArray(lanes, 2 * L); a11.intoArray(lanes, 3 * L);
        a20.intoArray(lanes, 4 * L); a21.intoArray(lanes, 5 * L); a30.intoArray(lanes, 6 * L); a31.intoArray(lanes, 7 * L);
        storeTile(out, lanes, 8, r * d + j, d, q);
    }
}
