package dev.tandem.core.cpu;

import static dev.tandem.core.cpu.VectorMath.F;
import static dev.tandem.core.cpu.VectorMath.L;

import dev.tandem.core.DType;
import dev.tandem.core.codec.KQuantScales;
import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

/**
 * Q4_K weights (most of a Q4_K_M file): 144-byte super-blocks of d, dmin, 12 bytes of 6-bit scales and mins,
 * and 128 bytes of nibbles (group 2c in the low nibbles of quarter c's 32 bytes, group 2c + 1 in the high ones).
 * The arithmetic every path shares is {@link GroupScaledKernels}'.
 */
final class Q4_KKernels extends GroupScaledKernels {
    Q4_KKernels() {
        super(DType.Q4_K, true);
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
     * Weight rows j and j + q against batch row r: the vector loop, then the mins chains in a pass of their own over
     * the super-blocks' headers (beside the vector loop their scalar work cost 13% more time on the Intel Xeon).
     * (Loading each quarter's 32 bytes once for both of its groups, low and high nibbles, passed C2's node cut-off
     * and boxed the vectors: 2.5x slower.)
     */
    @Override
    void x1(float[] out, float[] x, float[] xs, int r, MemorySegment w, long rowBytes, int n, int d, int j, int q,
            float[] lanes) {
        long w0 = j * rowBytes, w1 = w0 + q * rowBytes;
        int xo = r * n, go = r * (n / 32);
        FloatVector a0 = FloatVector.zero(F), a1 = a0;
        for (int blk = 0; blk < n / 256; blk++) {
            long o0 = w0 + 144L * blk, o1 = w1 + 144L * blk;
            float d0 = BlockLoads.scale(w, o0), d1 = BlockLoads.scale(w, o1);
            long sc0 = KQuantScales.packedScales(w, o0 + 4), sc1 = KQuantScales.packedScales(w, o1 + 4);
            for (int g = 0; g < 8; g++) { // group g: nibbles (low for even g, high for odd) of quarter g / 2's bytes
                int shift = 4 * (g & 1);
                long at = 16 + 32L * (g >> 1);
                int i = xo + 256 * blk + 32 * g;
                FloatVector p0 = FloatVector.zero(F), p1 = p0;
                for (int l = 0; l < 32; l += L) {
                    FloatVector v = FloatVector.fromArray(F, x, i + l);
                    p0 = BlockLoads.nibbleFloats(w, o0 + at + l, shift).fma(v, p0);
                    p1 = BlockLoads.nibbleFloats(w, o1 + at + l, shift).fma(v, p1);
                }
                a0 = p0.fma(FloatVector.broadcast(F, d0 * six(sc0, g)), a0);
                a1 = p1.fma(FloatVector.broadcast(F, d1 * six(sc1, g)), a1);
            }
        }
        float m0 = 0, m1 = 0;
        for (int blk = 0; blk < n / 256; blk++) {
            long o0 = w0 + 144L * blk, o1 = w1 + 144L * blk;
            float dm0 = BlockLoads.scale(w, o0 + 2), dm1 = BlockLoads.scale(w, o1 + 2);
            long mn0 = KQuantScales.packedMins(w, o0 + 4), mn1 = KQuantScales.packedMins(w, o1 + 4);
            for (int g = 0; g < 8; g++) {
                int xg = go + 8 * blk + g;
                m0 = Math.fma(dm0 * six(mn0, g), xs[xg], m0);
                m1 = Math.fma(dm1 * six(mn1, g), xs[xg], m1);
            }
        }
        a0.intoArray(lanes, 0);
        a1.intoArray(lanes, L);
        out[r * d + j] = VectorMath.sumStored(lanes, 0) - m0;
        out[r * d + j + q] = VectorMath.sumStored(lanes, L) - m1;
    }

    /** Weight rows j and j + q against batch rows r..r+3: each nibble decoded once for four rows; the mins in {@link #mins4}. */
    @Override
    void x4(float[] out, float[] x, float[] xs, int r, MemorySegment w, long rowBytes, int n, int d, int j, int q,
            float[] lanes, float[] ms) {
        long w0 = j * rowBytes, w1 = w0 + q * rowBytes;
        int groups = n / 32;
        FloatVector a00 = FloatVector.zero(F), a01 = a00, a10 = a00, a11 = a00, a20 = a00, a21 = a00, a30 = a00, a31 = a00;
        for (int blk = 0; blk < n / 256; blk++) {
            long o0 = w0 + 144L * blk, o1 = w1 + 144L * blk;
            float d0 = BlockLoads.scale(w, o0), d1 = BlockLoads.scale(w, o1);
            long sc0 = KQuantScales.packedScales(w, o0 + 4), sc1 = KQuantScales.packedScales(w, o1 + 4);
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
                FloatVector s0 = FloatVector.broadcast(F, d0 * six(sc0, g)), s1 = FloatVector.broadcast(F, d1 * six(sc1, g));
                a00 = p00.fma(s0, a00); a01 = p01.fma(s1, a01);
                a10 = p10.fma(s0, a10); a11 = p11.fma(s1, a11);
                a20 = p20.fma(s0, a20); a21 = p21.fma(s1, a21);
                a30 = p30.fma(s0, a30); a31 = p31.fma(s1, a31);
            }
        }
        a00.intoArray(lanes, 0); a01.intoArray(lanes, L); a10.intoArray(lanes, 2 * L); a11.intoArray(lanes, 3 * L);
        a20.intoArray(lanes, 4 * L); a21.intoArray(lanes, 5 * L); a30.intoArray(lanes, 6 * L); a31.intoArray(lanes, 7 * L);
        // the mins terms, in their own pass: 8 scalar chains beside 16 live vectors would not fit the registers
        mins4(w, w0, w1, n, xs, r, ms);
        storeTile(out, lanes, 8, r * d + j, d, q, ms);
    }

    /**
     * The mins terms {@code Σ_g dmin·m_g·xs_g} of weight rows w0 and w1 against batch rows r..r+3, into
     * {@code ms[2b]} and {@code ms[2b + 1]}: for each, one scalar chain over the groups in order, the chain
     * {@link #x1} runs beside its vector loop. A pass of its own for {@link #x4}, whose 16 live vectors leave
     * no registers for 8 scalar chains (scalar floats share the vector register file).
     */
    static void mins4(MemorySegment w, long w0, long w1, int n, float[] xs, int r, float[] ms) {
        int groups = n / 32;
        float m00 = 0, m01 = 0, m10 = 0, m11 = 0, m20 = 0, m21 = 0, m30 = 0, m31 = 0;
        for (int blk = 0; blk < n / 256; blk++) {
            long o0 = w0 + 144L * blk, o1 = w1 + 144L * blk;
            float dm0 = BlockLoads.scale(w, o0 + 2), dm1 = BlockLoads.scale(w, o1 + 2);
            long mn0 = KQuantScales.packedMins(w, o0 + 4), mn1 = KQuantScales.packedMins(w, o1 + 4);
            for (int g = 0; g < 8; g++) {
                float n0 = dm0 * six(mn0, g), n1 = dm1 * six(mn1, g);
                int xg = r * groups + 8 * blk + g;
                m00 = Math.fma(n0, xs[xg], m00); m01 = Math.fma(n1, xs[xg], m01);
                m10 = Math.fma(n0, xs[xg + groups], m10); m11 = Math.fma(n1, xs[xg + groups], m11);
                m20 = Math.fma(n0, xs[xg + 2 * groups], m20); m21 = Math.fma(n1, xs[xg + 2 * groups], m21);
                m30 = Math.fma(n0, xs[xg + 3 * groups], m30); m31 = Math.fma(n1, xs[xg + 3 * groups], m31);
            }
        }
        ms[0] = m00; ms[1] = m01; ms[2] = m10; ms[3] = m11; ms[4] = m20; ms[5] = m21; ms[6] = m30; ms[7] = m31;
    }
}
