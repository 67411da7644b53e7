package dev.tandem.core.cpu;

import static dev.tandem.core.cpu.VectorMath.F;
import static dev.tandem.core.cpu.VectorMath.L;

import dev.tandem.core.DType;
import dev.tandem.core.codec.Q3_KCodec;
import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

/**
 * Q3_K weights (most of a Q3_K_M file): 110-byte super-blocks of 32 bytes of third bits (hmask), 64 bytes of two
 * low bits (qs), 12 bytes of 6-bit scales and d; 16 groups of 16 values, each {@code d·(s - 32)·(q - 4)} with q's
 * third bit from hmask. A group is one vector (two at 8 lanes), too short for a per-group partial to pay, so the
 * matmuls scale each vector of integers ({@code q·d·(s - 32)}) and FMA it into the accumulator, in the same order on
 * every path (batch-invariant). {@link #decodeVector} keeps the value order and arithmetic of {@link Q3_KCodec}, bit
 * for bit. (A per-group partial scaled once, as Q4_K's, ran no faster than the decoded buffer.)
 */
final class Q3_KKernels extends GroupScaledKernels {
    Q3_KKernels() {
        super(DType.Q3_K, false);
    }

    @Override
    void decodeVector(MemorySegment w, long row, int n, float[] buf, int b) {
        int[] scales = new int[16];
        for (int blk = 0; blk < n / 256; blk++) {
            long o = row + 110L * blk;
            float d = BlockLoads.scale(w, o + 108);
            Q3_KCodec.scales(w, o + 96, scales);
            for (int g = 0; g < 16; g++) {
                float dl = d * (scales[g] - 32);
                for (int l = 0; l < 16; l += L) {
                    values(w, o, g, l).mul(dl).intoArray(buf, b + 256 * blk + 16 * g + l);
                }
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
        for (int blk = 0; blk < n / 256; blk++) {
            long o0 = w0 + 110L * blk, o1 = w1 + 110L * blk;
            float d0 = BlockLoads.scale(w, o0 + 108), d1 = BlockLoads.scale(w, o1 + 108);
            for (int h = 0; h < 2; h++) {
                long sc0 = Q3_KCodec.packedScales(w, o0 + 96, h), sc1 = Q3_KCodec.packedScales(w, o1 + 96, h);
                for (int k = 0; k < 8; k++) {
                    int g = 8 * h + k, i = xo + 256 * blk + 16 * g;
                    float c0 = d0 * (six(sc0, k) - 32), c1 = d1 * (six(sc1, k) - 32);
                    for (int l = 0; l < 16; l += L) {
                        FloatVector v = FloatVector.fromArray(F, x, i + l);
                        a0 = values(w, o0, g, l).mul(c0).fma(v, a0);
                        a1 = values(w, o1, g, l).mul(c1).fma(v, a1);
                    }
                }
            }
        }
        a0.intoArray(lanes, 0);
        a1.intoArray(lanes, L);
        out[r * d + j] = VectorMath.sumStored(lanes, 0);
        out[r * d + j + q] = VectorMath.sumStored(lanes, L);
    }

    /** Weight rows j and j + q against batch rows r..r+3: each value decoded and scaled once for four rows. */
    @Override
    void x4(float[] out, float[] x, float[] xs, int r, MemorySegment w, long rowBytes, int n, int d, int j, int q,
            float[] lanes) {
        long w0 = j * rowBytes, w1 = w0 + q * rowBytes;
        FloatVector a00 = FloatVector.zero(F), a01 = a00, a10 = a00, a11 = a00, a20 = a00, a21 = a00, a30 = a00, a31 = a00;
        for (int blk = 0; blk < n / 256; blk++) {
            long o0 = w0 + 110L * blk, o1 = w1 + 110L * blk;
            float d0 = BlockLoads.scale(w, o0 + 108), d1 = BlockLoads.scale(w, o1 + 108);
            for (int h = 0; h < 2; h++) {
                long sc0 = Q3_KCodec.packedScales(w, o0 + 96, h), sc1 = Q3_KCodec.packedScales(w, o1 + 96, h);
                for (int k = 0; k < 8; k++) {
                    int g = 8 * h + k, i = r * n + 256 * blk + 16 * g;
                    float c0 = d0 * (six(sc0, k) - 32), c1 = d1 * (six(sc1, k) - 32);
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
        }
        a00.intoArray(lanes, 0); a01.intoArray(lanes, L); a10.intoArray(lanes, 2 * L); a11.intoArray(lanes, 3 * L);
        a20.intoArray(lanes, 4 * L); a21.intoArray(lanes, 5 * L); a30.intoArray(lanes, 6 * L); a31.intoArray(lanes, 7 * L);
        storeTile(out, lanes, 8, r * d + j, d, q);
    }

    /** L values l.. of group g of the super-block at o, as floats -4..3. */
    private static FloatVector values(MemorySegment w, long o, int g, int l) {
        return (FloatVector) BlockLoads.q3K(w, o, g, l).convert(VectorOperators.I2F, 0);
    }
}
