package dev.tandem.core.cpu;

import static dev.tandem.core.cpu.VectorMath.F;
import static dev.tandem.core.cpu.VectorMath.L;
import static dev.tandem.core.cpu.WideRuns.FIRST_TWICE;
import static dev.tandem.core.cpu.WideRuns.SECOND_TWICE;
import static dev.tandem.core.cpu.WideRuns.WIDE;

import dev.tandem.core.DType;
import dev.tandem.core.codec.KQuantScales;
import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;

/**
 * Q5_K weights (most of a Q5_K_M file): 176-byte super-blocks of d, dmin, 12 bytes of 6-bit scales and mins,
 * 32 bytes of fifth bits (bit g of byte l for value l of group g) and 128 bytes of nibbles (group 2c in the low
 * nibbles of quarter c's 32 bytes, group 2c + 1 in the high ones). The arithmetic every path shares is
 * {@link GroupScaledKernels}'. The kernel ({@link #x1}) takes a weight row pair's integers cut out first
 * ({@link #unpack}: 64 at a time with 512-bit vectors); cutting them out beside the products took two
 * loads, a shift, a rotation, two masks and an or for every L values.
 */
final class Q5_KKernels extends SuperBlockScales {
    /**
     * Scratch for {@link #x1}'s integers, per thread: row j's n bytes, then row j + q's ({@link #x1}'s signature is every
     * group-scaled type's, so the array is kept beside it).
     */
    private static final ThreadLocal<byte[]> UNPACKED = ThreadLocal.withInitial(() -> new byte[0]);
    /** Shifts that bring a quarter's low nibbles (first half) and high nibbles (second half) down. */
    private static final IntVector NIBBLE_SHIFTS = WideRuns.halves(0, 4);
    /** Rotations by 4 - g (mod 32) that bring bit g of every byte to bit 4, for groups 0 and 1, 2 and 3, 4 and 5, 6 and 7. */
    private static final IntVector ROT_01 = WideRuns.halves(4, 3), ROT_23 = WideRuns.halves(2, 1), ROT_45 = WideRuns.halves(0, 31),
            ROT_67 = WideRuns.halves(30, 29);

    Q5_KKernels() {
        super(DType.Q5_K);
    }

    /** The scales and mins ({@link SuperBlockScales}); for {@link #x1}, both rows' integers into this thread's {@link #UNPACKED}. */
    @Override
    void prepare(MemorySegment w, long rowBytes, int n, int j, int q, float[] lanes) {
        super.prepare(w, rowBytes, n, j, q, lanes);
        byte[] q8 = UNPACKED.get();
        if (q8.length < 2 * n) {
            q8 = new byte[2 * n];
            UNPACKED.set(q8);
        }
        unpack(w, j * rowBytes, n / 256, q8, 0);
        unpack(w, (j + q) * rowBytes, n / 256, q8, n);
    }

    /** The integers (0..31) of {@code blocks} super-blocks from byte {@code row}, in value order, into {@code q8[at..]}. */
    static void unpack(MemorySegment w, long row, int blocks, byte[] q8, int at) {
        for (int blk = 0; blk < blocks; blk++) {
            long o = row + 176L * blk;
            int y = at + 256 * blk;
            if (L == 16) { // quarter c's bytes in both halves: its low nibbles are group 2c, its high ones group 2c + 1
                IntVector qh = IntVector.fromMemorySegment(WIDE, w, o + 16, BlockLoads.LE).rearrange(FIRST_TWICE);
                IntVector ql = IntVector.fromMemorySegment(WIDE, w, o + 48, BlockLoads.LE);
                ql.rearrange(FIRST_TWICE).lanewise(VectorOperators.LSHR, NIBBLE_SHIFTS).and(0x0F0F0F0F)
                        .or(qh.lanewise(VectorOperators.ROL, ROT_01).and(0x10101010)).reinterpretAsBytes().intoArray(q8, y);
                ql.rearrange(SECOND_TWICE).lanewise(VectorOperators.LSHR, NIBBLE_SHIFTS).and(0x0F0F0F0F)
                        .or(qh.lanewise(VectorOperators.ROL, ROT_23).and(0x10101010)).reinterpretAsBytes().intoArray(q8, y + 64);
                ql = IntVector.fromMemorySegment(WIDE, w, o + 112, BlockLoads.LE);
                ql.rearrange(FIRST_TWICE).lanewise(VectorOperators.LSHR, NIBBLE_SHIFTS).and(0x0F0F0F0F)
                        .or(qh.lanewise(VectorOperators.ROL, ROT_45).and(0x10101010)).reinterpretAsBytes().intoArray(q8, y + 128);
                ql.rearrange(SECOND_TWICE).lanewise(VectorOperators.LSHR, NIBBLE_SHIFTS).and(0x0F0F0F0F)
                        .or(qh.lanewise(VectorOperators.ROL, ROT_67).and(0x10101010)).reinterpretAsBytes().intoArray(q8, y + 192);
                continue;
            }
            for (int g = 0; g < 8; g++) { // L values at a time (q5KBytes' width)
                for (int l = 0; l < 32; l += L) {
                    BlockLoads.q5KBytes(w, o + 48 + 32L * (g >> 1) + l, o + 16 + l, g).intoArray(q8, y + 32 * g + l);
                }
            }
        }
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
     * Weight rows j and j + q (q = 0: row j alone) against batch row r: their integers, cut out by {@link #prepare},
     * read back for both chains at once; per group the integers' partial times the group's scale, per super-block one
     * FMA of its mins against the negated group sums ({@code xs}, {@link #negatedGroupSums}). The unpacking stays out
     * of this method: inlined here (a shorter one, Q4_K's, was) it took the tile past C2's node cut-off, which boxed
     * its vectors (87 MB allocated per 8 MiB matmul); and cutting bits out in this loop did the same with both rows.
     */
    @Override
    void x1(float[] out, float[] x, float[] xs, int r, MemorySegment w, long rowBytes, int n, int d, int j, int q,
            float[] lanes) {
        int blocks = n / 256, xo = r * n, mo = r * blocks * STRIDE + MINS_AT;
        byte[] q8 = UNPACKED.get();
        int k0 = 8 * L, k1 = k0 + STRIDE * blocks;
        FloatVector a0 = FloatVector.zero(F), a1 = a0;
        for (int blk = 0; blk < blocks; blk++, k0 += STRIDE, k1 += STRIDE) {
            for (int g = 0; g < 8; g++) {
                int c = 256 * blk + 32 * g, i = xo + c;
                FloatVector p0 = FloatVector.zero(F), p1 = p0;
                for (int l = 0; l < 32; l += L) {
                    FloatVector v = FloatVector.fromArray(F, x, i + l);
                    p0 = BlockLoads.int8s(q8, c + l).fma(v, p0);
                    p1 = BlockLoads.int8s(q8, n + c + l).fma(v, p1);
                }
                a0 = p0.fma(FloatVector.broadcast(F, lanes[k0 + g]), a0);
                a1 = p1.fma(FloatVector.broadcast(F, lanes[k1 + g]), a1);
            }
            FloatVector m = FloatVector.fromArray(F, xs, mo + STRIDE * blk);
            a0 = FloatVector.fromArray(F, lanes, k0 + MINS_AT).fma(m, a0);
            a1 = FloatVector.fromArray(F, lanes, k1 + MINS_AT).fma(m, a1);
        }
        storePair(out, lanes, a0, a1, r * d + j, q);
    }

}
