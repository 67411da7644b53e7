package dev.tandem.core.cpu;

import static dev.tandem.core.cpu.VectorMath.F;
import static dev.tandem.core.cpu.VectorMath.L;

import dev.tandem.core.DType;
import dev.tandem.core.codec.IQ4_NLCodec;
import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Weights in Q4_0's block layout (an F16 scale d, 16 bytes of nibbles: values 0..15 in the low nibbles, 16..31 in
 * the high ones) whose nibbles index a 16-level table, each value {@code d·level}: IQ4_NL's non-linear levels, or
 * Q4_0's {@code q - 8} (the same products as {@link FourBitBlockKernels}' integer decode, so bitwise its results;
 * that class runs Q4_0's one-row tile through this one). A block's 16 bytes are one 128-bit load, widened once to
 * 16 int lanes; each half is a mask (the high half shifted first) and one lookup of the levels' float bits in a
 * 16-lane int table ({@code vpermd}): 3 vector instructions per 16 values after the widening, where a byte
 * shuffle into a byte table then needed a widening and a conversion per half (1.35x the time on the Intel Xeon,
 * one thread). The arithmetic is {@link GroupScaledKernels}': per block {@code p = Σ level·x} over the low half
 * then the high half, {@code acc = fma(p, d, acc)}. The table fills one vector only where vectors hold 16 floats
 * (AVX-512); narrower machines decode with the scalar codec into the k-row kernels' buffer.
 */
final class NibbleLevelKernels extends GroupScaledKernels {
    /** Whether the 16-level table fills one int vector of 16 lanes, as wide as a float vector: AVX-512. */
    static final boolean TABLE_IN_VECTOR = BlockLoads.VECTOR_BLOCKS && L == 16;
    private static final VectorSpecies<Integer> INTS = TABLE_IN_VECTOR ? IntVector.SPECIES_512 : null;
    /** The 16 levels' float bits, lane q holding level q. */
    private final IntVector levels;

    private NibbleLevelKernels(DType type, byte[] levels) {
        super(type, false);
        int[] bits = new int[16];
        for (int q = 0; q < 16; q++) {
            bits[q] = Float.floatToIntBits(levels[q]);
        }
        this.levels = TABLE_IN_VECTOR ? IntVector.fromArray(INTS, bits, 0) : null;
    }

    /** IQ4_NL: GGML's 16 non-linear levels. */
    static NibbleLevelKernels iq4nl() {
        return new NibbleLevelKernels(DType.IQ4_NL, IQ4_NLCodec.levels());
    }

    /** Q4_0: levels -8..7, i.e. {@code q - 8}. */
    static NibbleLevelKernels q4_0() {
        byte[] levels = new byte[16];
        for (int q = 0; q < 16; q++) {
            levels[q] = (byte) (q - 8);
        }
        return new NibbleLevelKernels(DType.Q4_0, levels);
    }

    /** Q4_1: levels 0..15, i.e. {@code q} (its min is added by {@link FourBitBlockKernels}). */
    static NibbleLevelKernels q4_1() {
        byte[] levels = new byte[16];
        for (int q = 0; q < 16; q++) {
            levels[q] = (byte) q;
        }
        return new NibbleLevelKernels(DType.Q4_1, levels);
    }

    @Override
    boolean kernelsApply() {
        return TABLE_IN_VECTOR;
    }

    @Override
    void decodeVector(MemorySegment w, long row, int n, float[] buf, int b) {
        if (!TABLE_IN_VECTOR) {
            dev.tandem.core.Quantization.decode(type, w, row, n, buf, b);
            return;
        }
        for (int blk = 0; blk < n / 32; blk++) {
            long o = row + 18L * blk;
            float d = BlockLoads.leadingScale(w, o);
            IntVector q = nibbles(w, o);
            int y = b + 32 * blk;
            low(q).mul(d).intoArray(buf, y);
            high(q).mul(d).intoArray(buf, y + 16);
        }
    }

    /** The block's 16 bytes of nibbles, one to an int lane (sign-extended: the masks below take the nibbles). */
    private static IntVector nibbles(MemorySegment w, long block) {
        return BlockLoads.bytesAsInts(w, block + 2);
    }

    /** Values 0..15 of the block: the low nibbles' levels, as floats. */
    private FloatVector low(IntVector q) {
        return q.and(0x0F).selectFrom(levels).reinterpretAsFloats();
    }

    /** Values 16..31: the high nibbles' levels. */
    private FloatVector high(IntVector q) {
        return q.lanewise(VectorOperators.LSHR, 4).and(0x0F).selectFrom(levels).reinterpretAsFloats();
    }

    /** Weight rows j and j + q against batch row r. */
    @Override
    void x1(float[] out, float[] x, float[] xs, int r, MemorySegment w, long rowBytes, int n, int d, int j, int q,
            float[] lanes) {
        oneRow(x, r, w, j * rowBytes, (j + q) * rowBytes, n, 18, 2, lanes);
        storePair(out, lanes, r * d + j, q);
    }

    /**
     * Weight rows at {@code w0} and {@code w1} (blocks of {@code blockBytes}, an F16 scale d at byte 0 and the nibbles
     * at byte {@code qs}) against batch row r: {@code Σ_b d_b·Σ level·x} per weight row, in lanes [0, L) and [L, 2L)
     * unsummed. Q4_1 runs its one-row tile through here too ({@link FourBitBlockKernels} adds its mins).
     */
    void oneRow(float[] x, int r, MemorySegment w, long w0, long w1, int n, int blockBytes, int qs, float[] lanes) {
        int xo = r * n;
        FloatVector a0 = FloatVector.zero(F), a1 = a0;
        for (int b = 0; b < n / 32; b++) {
            long o0 = w0 + (long) blockBytes * b, o1 = w1 + (long) blockBytes * b;
            IntVector q0 = BlockLoads.bytesAsInts(w, o0 + qs), q1 = BlockLoads.bytesAsInts(w, o1 + qs);
            FloatVector v = FloatVector.fromArray(F, x, xo + 32 * b);
            FloatVector zero = FloatVector.zero(F); // fma from zero, as FourBitBlockKernels.x1 converts: the same chain, to the sign of a zero
            FloatVector p0 = low(q0).fma(v, zero), p1 = low(q1).fma(v, zero);
            v = FloatVector.fromArray(F, x, xo + 32 * b + 16);
            p0 = high(q0).fma(v, p0);
            p1 = high(q1).fma(v, p1);
            a0 = p0.fma(FloatVector.broadcast(F, BlockLoads.leadingScale(w, o0)), a0);
            a1 = p1.fma(FloatVector.broadcast(F, BlockLoads.leadingScale(w, o1)), a1);
        }
        a0.intoArray(lanes, 0);
        a1.intoArray(lanes, L);
    }

}
