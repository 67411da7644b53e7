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

    /** IQ4_NL weights multiply int8 activations where the backend allows them ({@link IQ4_NLLaneKernels}). */
    @Override
    WeightKernels forWeights(dev.tandem.core.Tensor w, boolean int8Activations, WorkerPool pool) {
        return int8Activations && type == DType.IQ4_NL ? IQ4_NLLaneKernels.of(w, this, pool) : this;
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
        storeTile(out, lanes, 2, r * d + j, d, q);
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
            FloatVector zero = FloatVector.zero(F); // fma from zero, as x4: the same chain, to the sign of a zero
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

    /** Weight rows j and j + q against batch rows r and r + 1, the levels decoded in registers once for both. */
    @Override
    void x2(float[] out, float[] x, float[] xs, int r, MemorySegment w, long rowBytes, int n, int d, int j, int q,
            float[] lanes) {
        long w0 = j * rowBytes, w1 = w0 + q * rowBytes;
        FloatVector a00 = FloatVector.zero(F), a01 = a00, a10 = a00, a11 = a00;
        for (int b = 0; b < n / 32; b++) {
            long o0 = w0 + 18L * b, o1 = w1 + 18L * b;
            IntVector q0 = nibbles(w, o0), q1 = nibbles(w, o1);
            int i = r * n + 32 * b;
            FloatVector zero = FloatVector.zero(F), l0 = low(q0), l1 = low(q1);
            FloatVector v = FloatVector.fromArray(F, x, i), u = FloatVector.fromArray(F, x, i + n);
            FloatVector p00 = l0.fma(v, zero), p01 = l1.fma(v, zero), p10 = l0.fma(u, zero), p11 = l1.fma(u, zero);
            FloatVector h0 = high(q0), h1 = high(q1);
            v = FloatVector.fromArray(F, x, i + 16);
            u = FloatVector.fromArray(F, x, i + n + 16);
            p00 = h0.fma(v, p00); p01 = h1.fma(v, p01); p10 = h0.fma(u, p10); p11 = h1.fma(u, p11);
            FloatVector s0 = FloatVector.broadcast(F, BlockLoads.leadingScale(w, o0)), s1 = FloatVector.broadcast(F, BlockLoads.leadingScale(w, o1));
            a00 = p00.fma(s0, a00); a01 = p01.fma(s1, a01);
            a10 = p10.fma(s0, a10); a11 = p11.fma(s1, a11);
        }
        a00.intoArray(lanes, 0); a01.intoArray(lanes, L); a10.intoArray(lanes, 2 * L); a11.intoArray(lanes, 3 * L);
        storeTile(out, lanes, 4, r * d + j, d, q);
    }

    /** Weight rows j and j + q against batch rows r..r+2, {@link #x2}'s tile with a third row: the levels decoded once for three. */
    @Override
    void x3(float[] out, float[] x, float[] xs, int r, MemorySegment w, long rowBytes, int n, int d, int j, int q,
            float[] lanes) {
        long w0 = j * rowBytes, w1 = w0 + q * rowBytes;
        FloatVector a00 = FloatVector.zero(F), a01 = a00, a10 = a00, a11 = a00, a20 = a00, a21 = a00;
        for (int b = 0; b < n / 32; b++) {
            long o0 = w0 + 18L * b, o1 = w1 + 18L * b;
            IntVector q0 = nibbles(w, o0), q1 = nibbles(w, o1);
            int i = r * n + 32 * b;
            FloatVector zero = FloatVector.zero(F), l0 = low(q0), l1 = low(q1);
            FloatVector v = FloatVector.fromArray(F, x, i);
            FloatVector p00 = l0.fma(v, zero), p01 = l1.fma(v, zero);
            v = FloatVector.fromArray(F, x, i + n);
            FloatVector p10 = l0.fma(v, zero), p11 = l1.fma(v, zero);
            v = FloatVector.fromArray(F, x, i + 2 * n);
            FloatVector p20 = l0.fma(v, zero), p21 = l1.fma(v, zero);
            FloatVector h0 = high(q0), h1 = high(q1);
            v = FloatVector.fromArray(F, x, i + 16);
            p00 = h0.fma(v, p00); p01 = h1.fma(v, p01);
            v = FloatVector.fromArray(F, x, i + n + 16);
            p10 = h0.fma(v, p10); p11 = h1.fma(v, p11);
            v = FloatVector.fromArray(F, x, i + 2 * n + 16);
            p20 = h0.fma(v, p20); p21 = h1.fma(v, p21);
            FloatVector s0 = FloatVector.broadcast(F, BlockLoads.leadingScale(w, o0)), s1 = FloatVector.broadcast(F, BlockLoads.leadingScale(w, o1));
            a00 = p00.fma(s0, a00); a01 = p01.fma(s1, a01);
            a10 = p10.fma(s0, a10); a11 = p11.fma(s1, a11);
            a20 = p20.fma(s0, a20); a21 = p21.fma(s1, a21);
        }
        a00.intoArray(lanes, 0); a01.intoArray(lanes, L); a10.intoArray(lanes, 2 * L); a11.intoArray(lanes, 3 * L);
        a20.intoArray(lanes, 4 * L); a21.intoArray(lanes, 5 * L);
        storeTile(out, lanes, 6, r * d + j, d, q);
    }

    /**
     * Weight rows j and j + q against batch rows r..r+3: each block's levels decoded once, into {@code lanes}
     * (free until the results), and read back for the four rows. (Decoding into registers beside the 16 live
     * accumulators ran 2-2.5x slower than the decoded-buffer path: the body passed C2's limits.)
     */
    @Override
    void x4(float[] out, float[] x, float[] xs, int r, MemorySegment w, long rowBytes, int n, int d, int j, int q,
            float[] lanes) {
        long w0 = j * rowBytes, w1 = w0 + q * rowBytes;
        FloatVector a00 = FloatVector.zero(F), a01 = a00, a10 = a00, a11 = a00, a20 = a00, a21 = a00, a30 = a00, a31 = a00;
        for (int b = 0; b < n / 32; b++) {
            long o0 = w0 + 18L * b, o1 = w1 + 18L * b;
            IntVector q0 = nibbles(w, o0), q1 = nibbles(w, o1);
            low(q0).intoArray(lanes, 0);
            high(q0).intoArray(lanes, 16);
            low(q1).intoArray(lanes, 32);
            high(q1).intoArray(lanes, 48);
            FloatVector p00 = FloatVector.zero(F), p01 = p00, p10 = p00, p11 = p00;
            FloatVector p20 = p00, p21 = p00, p30 = p00, p31 = p00;
            for (int h = 0; h < 32; h += 16) { // low half (values 0..15), then high half (16..31), as x1
                FloatVector v0 = FloatVector.fromArray(F, lanes, h), v1 = FloatVector.fromArray(F, lanes, 32 + h);
                int i = r * n + 32 * b + h;
                FloatVector v = FloatVector.fromArray(F, x, i);
                p00 = v0.fma(v, p00); p01 = v1.fma(v, p01);
                v = FloatVector.fromArray(F, x, i + n);
                p10 = v0.fma(v, p10); p11 = v1.fma(v, p11);
                v = FloatVector.fromArray(F, x, i + 2 * n);
                p20 = v0.fma(v, p20); p21 = v1.fma(v, p21);
                v = FloatVector.fromArray(F, x, i + 3 * n);
                p30 = v0.fma(v, p30); p31 = v1.fma(v, p31);
            }
            FloatVector s0 = FloatVector.broadcast(F, BlockLoads.leadingScale(w, o0)), s1 = FloatVector.broadcast(F, BlockLoads.leadingScale(w, o1));
            a00 = p00.fma(s0, a00); a01 = p01.fma(s1, a01);
            a10 = p10.fma(s0, a10); a11 = p11.fma(s1, a11);
            a20 = p20.fma(s0, a20); a21 = p21.fma(s1, a21);
            a30 = p30.fma(s0, a30); a31 = p31.fma(s1, a31);
        }
        a00.intoArray(lanes, 0); a01.intoArray(lanes, L); a10.intoArray(lanes, 2 * L); a11.intoArray(lanes, 3 * L);
        a20.intoArray(lanes, 4 * L); a21.intoArray(lanes, 5 * L); a30.intoArray(lanes, 6 * L); a31.intoArray(lanes, 7 * L);
        storeTile(out, lanes, 8, r * d + j, d, q);
    }
}
