package dev.tandem.core.cpu;

import static dev.tandem.core.cpu.VectorMath.F;
import static dev.tandem.core.cpu.VectorMath.L;

import dev.tandem.core.DType;
import dev.tandem.core.codec.KQuantScales;
import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * The scales and mins of Q4_K and Q5_K super-blocks (d, dmin, then eight 6-bit scales and eight 6-bit mins in
 * 12 bytes), decoded once per weight row into 16 floats a super-block: {@code d·sc_0..7} then
 * {@code dmin·m_0..7}. The kernels then broadcast a group's scale from memory, and take all eight mins off with
 * one FMA per super-block against {@link #negatedGroupSums} (zeros under the scales, {@code -xs_g} under the
 * mins), where unpacking the bits per group beside the vector loop, and the mins' scalar chains, cost a third of
 * Q4_K's decode time (Intel Xeon, 2 threads, alternated: {@code bench ar} 15.2-15.7 against 10.8-10.9 tokens/s;
 * Q5_K 11.5-12.0 against 11.0-11.1). The decode is a method of its own, called once per weight row pair before the
 * kernels ({@link #prepare}): inside a kernel its vector nodes pass C2's inlining cut-off. The base of both types'
 * kernels, which differ only in how their values are cut out.
 */
abstract class SuperBlockScales extends GroupScaledKernels {
    /** Floats per super-block: its eight scales, then its eight mins. */
    static final int STRIDE = 16;
    /** Where, in a super-block's 16 floats, the vector that covers its mins starts: 0 with 16 lanes, 8 with 8. */
    static final int MINS_AT = STRIDE - L;

    /** Bytes per super-block: Q4_K's 144, Q5_K's 176. */
    private final int blockBytes;

    SuperBlockScales(DType type) {
        super(type, true);
        this.blockBytes = type.blockBytes();
    }

    @Override
    final float[] xTerms(float[] x, int rows, int n) {
        return negatedGroupSums(x, rows, n);
    }

    @Override
    final int scratchFloats(int n) {
        return 2 * STRIDE * (n / 256);
    }

    /** Rows j and j + q's scales and mins into {@code lanes[8 L ..]}, then {@code lanes[8 L + 16 n / 256 ..]}. */
    @Override
    void prepare(MemorySegment w, long rowBytes, int n, int j, int q, float[] lanes) {
        int blocks = n / 256;
        decode(w, j * rowBytes, blocks, blockBytes, lanes, 8 * L);
        decode(w, (j + q) * rowBytes, blocks, blockBytes, lanes, 8 * L + STRIDE * blocks);
    }

    /**
     * The scales and mins of {@code blocks} super-blocks of {@code blockBytes} from byte {@code row}, into
     * {@code out[o..o + 16·blocks)}: the values {@code d·scale(j)} and {@code dmin·min(j)} of
     * {@link KQuantScales}, bit for bit (one float product each).
     */
    static void decode(MemorySegment w, long row, int blocks, int blockBytes, float[] out, int o) {
        for (int blk = 0; blk < blocks; blk++) {
            long sb = row + (long) blockBytes * blk;
            if (L == 16) {
                vector(w, sb).intoArray(out, o + STRIDE * blk);
            } else {
                float d = BlockLoads.scale(w, sb), dmin = BlockLoads.scale(w, sb + 2);
                long sc = KQuantScales.packedScales(w, sb + 4), mn = KQuantScales.packedMins(w, sb + 4);
                for (int g = 0; g < 8; g++) {
                    out[o + STRIDE * blk + g] = d * GroupScaledKernels.six(sc, g);
                    out[o + STRIDE * blk + 8 + g] = dmin * GroupScaledKernels.six(mn, g);
                }
            }
        }
    }

    /**
     * Per batch row and super-block, 8 zeros then the negated sums of the eight 32-value groups of x: the FMA of
     * a super-block's 16 floats (or, with 8 lanes, its mins) against these subtracts {@code Σ_g dmin·m_g·xs_g}.
     */
    static float[] negatedGroupSums(float[] x, int rows, int n) {
        float[] xs = GroupScaledKernels.groupSums(x, rows, n, 32);
        float[] nxs = new float[rows * (n / 256) * STRIDE];
        for (int g = 0; g < xs.length; g++) {
            nxs[STRIDE * (g / 8) + 8 + g % 8] = -xs[g];
        }
        return nxs;
    }

    private static final VectorSpecies<Integer> I4 = IntVector.SPECIES_128;
    private static final VectorSpecies<Byte> B16 = ByteVector.SPECIES_128;
    /** Words u0, u2, u1, u2 of the 12 bytes: the low bits of scales 0-3, of scales 4-7, of mins 0-3, of mins 4-7. */
    private static final VectorShuffle<Integer> LOW = VectorShuffle.fromValues(I4, 0, 2, 1, 2);
    /** Words u0, u0, u1, u1: the two high bits of scales and mins 4-7 sit in bits 6-7 of scales and mins 0-3. */
    private static final VectorShuffle<Integer> HIGH = VectorShuffle.fromValues(I4, 0, 0, 1, 1);
    private static final IntVector LOW_SHIFT = IntVector.fromArray(I4, new int[] {0, 0, 0, 4}, 0);
    private static final IntVector LOW_MASK = IntVector.fromArray(I4, new int[] {0x3f3f3f3f, 0x0f0f0f0f, 0x3f3f3f3f, 0x0f0f0f0f}, 0);
    private static final IntVector HIGH_MASK = IntVector.fromArray(I4, new int[] {0, 0x30303030, 0, 0x30303030}, 0);
    /** Lanes 8-15: the mins, times dmin. */
    private static final VectorMask<Float> MINS = L == 16 ? VectorMask.fromLong(F, 0xFF00L) : null;

    /** The 16 floats of the super-block at {@code sb} with 16-lane vectors: llama.cpp's kmask unpacking on four words. */
    private static FloatVector vector(MemorySegment w, long sb) {
        IntVector u = ByteVector.fromMemorySegment(B16, w, sb + 4, BlockLoads.LE).reinterpretAsInts();
        IntVector low = u.rearrange(LOW).lanewise(VectorOperators.LSHR, LOW_SHIFT).and(LOW_MASK);
        IntVector high = u.rearrange(HIGH).lanewise(VectorOperators.LSHR, 2).and(HIGH_MASK);
        FloatVector six = BlockLoads.bytesToFloats(low.or(high).reinterpretAsBytes());
        return six.mul(FloatVector.broadcast(F, BlockLoads.scale(w, sb)).blend(BlockLoads.scale(w, sb + 2), MINS));
    }
}
