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
 * dmin; 16 groups of 16 values, each {@code d·sc·q - dmin·m}. The matmuls take the mins off at the end from x's
 * 16-value group sums, as {@link GroupScaledKernels}' types with mins do; a group is one vector (two at 8 lanes), too
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

    /** Weight rows j and j + q against batch row r, the mins chains beside the vector loop. */
    @Override
    void x1(float[] out, float[] x, float[] xs, int r, MemorySegment w, long rowBytes, int n, int d, int j, int q,
            float[] lanes) {
        long w0 = j * rowBytes, w1 = w0 + q * rowBytes;
        int xo = r * n, go = r * (n / 16);
        FloatVector a0 = FloatVector.zero(F), a1 = a0;
        float m0 = 0, m1 = 0;
        for (int blk = 0; blk < n / 256; blk++) {
            long o0 = w0 + 84L * blk, o1 = w1 + 84L * blk;
            float d0 = BlockLoads.scale(w, o0 + 80), dm0 = BlockLoads.scale(w, o0 + 82);
            float d1 = BlockLoads.scale(w, o1 + 80), dm1 = BlockLoads.scale(w, o1 + 82);
            for (int g = 0; g < 16; g++) {
                int s0 = scaleByte(w, o0, g), s1 = scaleByte(w, o1, g);
                float c0 = d0 * (s0 & 0xF), c1 = d1 * (s1 & 0xF);
                int i = xo + 256 * blk + 16 * g;
                for (int l = 0; l < 16; l += L) {
                    FloatVector v = FloatVector.fromArray(F, x, i + l);
                    a0 = values(w, o0, g, l).mul(c0).fma(v, a0);
                    a1 = values(w, o1, g, l).mul(c1).fma(v, a1);
                }
                int xg = go + 16 * blk + g;
                m0 = Math.fma(dm0 * (s0 >>> 4), xs[xg], m0);
                m1 = Math.fma(dm1 * (s1 >>> 4), xs[xg], m1);
            }
        }
        a0.intoArray(lanes, 0);
        a1.intoArray(lanes, L);
        out[r * d + j] = VectorMath.sumStored(lanes, 0) - m0;
        out[r * d + j + q] = VectorMath.sumStored(lanes, L) - m1;
    }

    /** Weight rows j and j + q against batch rows r..r+3: each two-bit value decoded once for four rows; the mins in {@link #mins4}. */
    @Override
    void x4(float[] out, float[] x, float[] xs, int r, MemorySegment w, long rowBytes, int n, int d, int j, int q,
            float[] lanes, float[] ms) {
        long w0 = j * rowBytes, w1 = w0 + q * rowBytes;
        FloatVector a00 = FloatVector.zero(F), a01 = a00, a10 = a00, a11 = a00, a20 = a00, a21 = a00, a30 = a00, a31 = a00;
        for (int blk = 0; blk < n / 256; blk++) {
            long o0 = w0 + 84L * blk, o1 = w1 + 84L * blk;
            float d0 = BlockLoads.scale(w, o0 + 80), d1 = BlockLoads.scale(w, o1 + 80);
            for (int g = 0; g < 16; g++) {
                float c0 = d0 * (scaleByte(w, o0, g) & 0xF), c1 = d1 * (scaleByte(w, o1, g) & 0xF);
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
        }
        a00.intoArray(lanes, 0); a01.intoArray(lanes, L); a10.intoArray(lanes, 2 * L); a11.intoArray(lanes, 3 * L);
        a20.intoArray(lanes, 4 * L); a21.intoArray(lanes, 5 * L); a30.intoArray(lanes, 6 * L); a31.intoArray(lanes, 7 * L);
        mins4(w, w0, w1, n, xs, r, ms);
        storeTile(out, lanes, 8, r * d + j, d, q, ms);
    }

    /** {@link #x1}'s mins chains for batch rows r..r+3, in a pass of their own (x4's 16 live vectors leave no registers). */
    private static void mins4(MemorySegment w, long w0, long w1, int n, float[] xs, int r, float[] ms) {
        int groups = n / 16;
        float m00 = 0, m01 = 0, m10 = 0, m11 = 0, m20 = 0, m21 = 0, m30 = 0, m31 = 0;
        for (int blk = 0; blk < n / 256; blk++) {
            long o0 = w0 + 84L * blk, o1 = w1 + 84L * blk;
            float dm0 = BlockLoads.scale(w, o0 + 82), dm1 = BlockLoads.scale(w, o1 + 82);
            for (int g = 0; g < 16; g++) {
                float n0 = dm0 * (scaleByte(w, o0, g) >>> 4), n1 = dm1 * (scaleByte(w, o1, g) >>> 4);
                int xg = r * groups + 16 * blk + g;
                m00 = Math.fma(n0, xs[xg], m00); m01 = Math.fma(n1, xs[xg], m01);
                m10 = Math.fma(n0, xs[xg + groups], m10); m11 = Math.fma(n1, xs[xg + groups], m11);
                m20 = Math.fma(n0, xs[xg + 2 * groups], m20); m21 = Math.fma(n1, xs[xg + 2 * groups], m21);
                m30 = Math.fma(n0, xs[xg + 3 * groups], m30); m31 = Math.fma(n1, xs[xg + 3 * groups], m31);
            }
        }
        ms[0] = m00; ms[1] = m01; ms[2] = m10; ms[3] = m11; ms[4] = m20; ms[5] = m21; ms[6] = m30; ms[7] = m31;
    }

    /** Group g's scale byte (low nibble: scale, high: min) of the super-block at o. */
    private static int scaleByte(MemorySegment w, long o, int g) {
        return w.get(ValueLayout.JAVA_BYTE, o + g) & 0xFF;
    }

    /** L two-bit values l.. of group g of the super-block at o, as floats 0..3. */
    private static FloatVector values(MemorySegment w, long o, int g, int l) {
        return (FloatVector) BlockLoads.twoBits(w, o + 16, g, l).convert(VectorOperators.I2F, 0);
    }
}
