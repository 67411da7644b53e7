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
    void prepare(MemorySegment w, long rowBytes, int n, int j, int q, float[] lanes) {
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
        storePair(out, lanes, a0, a1, r * d + j, q);
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
