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
        storePair(out, lanes, a0, a1, r * d + j, q);
    }

}
