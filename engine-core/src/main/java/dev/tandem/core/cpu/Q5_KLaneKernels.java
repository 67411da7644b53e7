package dev.tandem.core.cpu;

import static dev.tandem.core.cpu.Q8Activations.LS;
import static dev.tandem.core.cpu.VectorMath.F;
import static dev.tandem.core.cpu.VectorMath.L;
import static jdk.incubator.vector.VectorOperators.ASHR;
import static jdk.incubator.vector.VectorOperators.I2F;
import static jdk.incubator.vector.VectorOperators.LSHL;
import static jdk.incubator.vector.VectorOperators.LSHR;

import dev.tandem.core.DType;
import dev.tandem.core.Tensor;
import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;

/**
 * Q5_K matmuls with integer products, as llama.cpp's {@code ggml_vec_dot_q5_K_q8_K}: x quantized to int8 per 256
 * values ({@link Q8Activations}), the weights repacked with one 32-value sub-block per 16-bit lane, three signed
 * values {@code q - 16} to a short ({@link KQuantLanes#q5K}). A value comes out in two shifts (the third in one), where
 * Q4_K's nibbles take one or two: so the products cost about what Q4_K's do, from 1.3x its bytes. Each lane runs three
 * chains, one per field of the short, of at most 11 products of at most 16·127: within ±22352, exact in 16 bits. The
 * chains become ints and then floats times {@code d·sc·d_x}, plus the offset {@code 16·d·sc - dmin·m} times the
 * sub-block's {@code d_x·Σq_x}. A one-row pass and a tile of two batch rows run the same float steps ({@link #floats}),
 * so a row's result does not depend on the batch.
 */
class Q5_KLaneKernels extends LaneTiles {
    /** Vectors of sums per part of a two-row tile: (batch row, weight row, chain). */
    static final int SLOTS = 12;
    /** Shorts of x per group: 33 runs (the last zeros) of 32 lanes. */
    private static final int GROUP_VALUES = 33 * GROUP_LANES;
    /** Positions per lane: 11, in a field rather than a constant, so that C2 does not unroll the loop whole (see {@link Q6_KLaneKernels}). */
    private final int positions;

    Q5_KLaneKernels(DType type, MemorySegment repacked, WeightKernels file, int groupBytes, Q8Activations.Layout layout) {
        super(type, repacked, file, groupBytes, SLOTS, layout);
        positions = 11;
    }

    /** The kernels of the Q5_K tensor {@code w}, repacked on first use over {@code pool}'s threads; {@code file}: the kernels of the file's layout, for decoding rows. */
    static LaneTiles of(Tensor w, WeightKernels file, WorkerPool pool) {
        return LaneTiles.of(w, t -> new Q5_KLaneKernels(DType.Q5_K, KQuantLanes.q5K(t.segment(), t.rows(), t.cols(), pool), file, KQuantLanes.Q5_K_GROUP_BYTES, Q8Activations.Layout.Q5_K));
    }


    /** Per part, unit 0's chains 0-2 of row a, then of row b. */
    @Override
    void ints1(Q8Activations a, int r, long wa, long wb, short[] sums) {
        MemorySegment w = repacked;
        for (int g = 0; g < a.groups; g++) {
            for (int part = 0; part < PARTS; part++) {
                long oa = wa + (long) g * groupBytes + 2L * LS * part, ob = wb + (long) g * groupBytes + 2L * LS * part;
                int xi = (r * a.groups + g) * GROUP_VALUES + LS * part, at = (g * PARTS + part) * SLOTS * LS;
                ShortVector a0 = ShortVector.zero(S), a1 = a0, a2 = a0, b0 = a0, b1 = a0, b2 = a0;
                for (int t = 0; t < positions; t++) { // values 3t, 3t + 1, 3t + 2: fields at bits 0, 5 and 11
                    ShortVector va = ShortVector.fromMemorySegment(S, w, oa + 64L * (t + 1), BlockLoads.LE);
                    ShortVector vb = ShortVector.fromMemorySegment(S, w, ob + 64L * (t + 1), BlockLoads.LE);
                    int xv = xi + 96 * t;
                    ShortVector u = ShortVector.fromArray(S, a.q, xv);
                    a0 = a0.add(va.lanewise(LSHL, 11).lanewise(ASHR, 11).mul(u));
                    b0 = b0.add(vb.lanewise(LSHL, 11).lanewise(ASHR, 11).mul(u));
                    u = ShortVector.fromArray(S, a.q, xv + 32);
                    a1 = a1.add(va.lanewise(LSHL, 6).lanewise(ASHR, 11).mul(u));
                    b1 = b1.add(vb.lanewise(LSHL, 6).lanewise(ASHR, 11).mul(u));
                    u = ShortVector.fromArray(S, a.q, xv + 64);
                    a2 = a2.add(va.lanewise(ASHR, 11).mul(u));
                    b2 = b2.add(vb.lanewise(ASHR, 11).mul(u));
                }
                a0.intoArray(sums, at);
                a1.intoArray(sums, at + LS);
                a2.intoArray(sums, at + 2 * LS);
                b0.intoArray(sums, at + 3 * LS);
                b1.intoArray(sums, at + 4 * LS);
                b2.intoArray(sums, at + 5 * LS);
            }
        }
    }

    /** Per part, slots: unit 0 (batch row r) chains 0-2 of weight row a, then of b; unit 1 (r + 1) the same after them. */
    @Override
    void ints2(Q8Activations a, int r, long wa, long wb, short[] sums) {
        MemorySegment w = repacked;
        int next = a.groups * GROUP_VALUES; // batch row r + 1's values, after r's
        for (int g = 0; g < a.groups; g++) {
            for (int part = 0; part < PARTS; part++) {
                long oa = wa + (long) g * groupBytes + 2L * LS * part, ob = wb + (long) g * groupBytes + 2L * LS * part;
                int xi = (r * a.groups + g) * GROUP_VALUES + LS * part, at = (g * PARTS + part) * SLOTS * LS;
                ShortVector a0 = ShortVector.zero(S), a1 = a0, a2 = a0, b0 = a0, b1 = a0, b2 = a0; // batch row r
                ShortVector c0 = a0, c1 = a0, c2 = a0, e0 = a0, e1 = a0, e2 = a0; // batch row r + 1
                for (int t = 0; t < positions; t++) {
                    ShortVector va = ShortVector.fromMemorySegment(S, w, oa + 64L * (t + 1), BlockLoads.LE);
                    ShortVector vb = ShortVector.fromMemorySegment(S, w, ob + 64L * (t + 1), BlockLoads.LE);
                    int xv = xi + 96 * t;
                    ShortVector qa = va.lanewise(LSHL, 11).lanewise(ASHR, 11), qb = vb.lanewise(LSHL, 11).lanewise(ASHR, 11);
                    ShortVector u = ShortVector.fromArray(S, a.q, xv), v = ShortVector.fromArray(S, a.q, xv + next);
                    a0 = a0.add(qa.mul(u));
                    b0 = b0.add(qb.mul(u));
                    c0 = c0.add(qa.mul(v));
                    e0 = e0.add(qb.mul(v));
                    qa = va.lanewise(LSHL, 6).lanewise(ASHR, 11);
                    qb = vb.lanewise(LSHL, 6).lanewise(ASHR, 11);
                    u = ShortVector.fromArray(S, a.q, xv + 32);
                    v = ShortVector.fromArray(S, a.q, xv + 32 + next);
                    a1 = a1.add(qa.mul(u));
                    b1 = b1.add(qb.mul(u));
                    c1 = c1.add(qa.mul(v));
                    e1 = e1.add(qb.mul(v));
                    qa = va.lanewise(ASHR, 11);
                    qb = vb.lanewise(ASHR, 11);
                    u = ShortVector.fromArray(S, a.q, xv + 64);
                    v = ShortVector.fromArray(S, a.q, xv + 64 + next);
                    a2 = a2.add(qa.mul(u));
                    b2 = b2.add(qb.mul(u));
                    c2 = c2.add(qa.mul(v));
                    e2 = e2.add(qb.mul(v));
                }
                a0.intoArray(sums, at);
                a1.intoArray(sums, at + LS);
                a2.intoArray(sums, at + 2 * LS);
                b0.intoArray(sums, at + 3 * LS);
                b1.intoArray(sums, at + 4 * LS);
                b2.intoArray(sums, at + 5 * LS);
                c0.intoArray(sums, at + 6 * LS);
                c1.intoArray(sums, at + 7 * LS);
                c2.intoArray(sums, at + 8 * LS);
                e0.intoArray(sums, at + 9 * LS);
                e1.intoArray(sums, at + 10 * LS);
                e2.intoArray(sums, at + 11 * LS);
            }
        }
    }

    /**
     * Per weight row of the pair, its three chains widened to ints (an int lane holds two sub-blocks, the even one in
     * its low half) and added, each sub-block's sum times {@code d·sc·d_x}, then the offsets
     * {@code (16·d·sc - dmin·m)·d_x·Σq_x}. The two rows are a loop, not a helper: the helper (421 bytes of bytecode)
     * was past C2's inlining size, and its vectors were boxed (Q5_K 8x slower).
     */
    @Override
    void floats(Q8Activations a, int r, long wa, long wb, short[] sums, int unit, float[] lanes, int acc) {
        MemorySegment w = repacked;
        FloatVector aSum = FloatVector.zero(F), bSum = aSum;
        for (int g = 0; g < a.groups; g++) {
            for (int part = 0; part < PARTS; part++) {
                int blocks = (r * a.groups + g) * GROUP_LANES + LS * part;
                FloatVector xEven = FloatVector.fromArray(F, a.scales, blocks), xOdd = FloatVector.fromArray(F, a.scales, blocks + LS / 2);
                FloatVector sEven = FloatVector.fromArray(F, a.sums, blocks), sOdd = FloatVector.fromArray(F, a.sums, blocks + LS / 2);
                for (int side = 0; side < 2; side++) { // C2 unrolls the two rows and folds the choices
                    long o = (side == 0 ? wa : wb) + (long) g * groupBytes + 2L * LS * part;
                    long superBlock = o - 2L * LS * part + 4L * (LS * part / 8); // the part's first super-block's d (and, 16 bytes on, dmin)
                    int at = ((g * PARTS + part) * SLOTS + 6 * unit + 3 * side) * LS;
                    IntVector c0 = (IntVector) ShortVector.fromArray(S, sums, at).reinterpretAsInts();
                    IntVector c1 = (IntVector) ShortVector.fromArray(S, sums, at + LS).reinterpretAsInts();
                    IntVector c2 = (IntVector) ShortVector.fromArray(S, sums, at + 2 * LS).reinterpretAsInts();
                    IntVector even = c0.lanewise(LSHL, 16).lanewise(ASHR, 16).add(c1.lanewise(LSHL, 16).lanewise(ASHR, 16))
                            .add(c2.lanewise(LSHL, 16).lanewise(ASHR, 16));
                    IntVector odd = c0.lanewise(ASHR, 16).add(c1.lanewise(ASHR, 16)).add(c2.lanewise(ASHR, 16));
                    IntVector h = IntVector.fromMemorySegment(I, w, o, BlockLoads.LE); // two sub-blocks' scale shorts per int lane: sc | m << 8
                    FloatVector dF = FloatVector.fromMemorySegment(F, w, superBlock + KQuantLanes.Q5_K_D, BlockLoads.LE).rearrange(SUPER_BLOCK);
                    FloatVector mF = FloatVector.fromMemorySegment(F, w, superBlock + KQuantLanes.Q5_K_DMIN, BlockLoads.LE).rearrange(SUPER_BLOCK);
                    FloatVector scEven = dF.mul(h.and(0xFF).convert(I2F, 0).reinterpretAsFloats());
                    FloatVector scOdd = dF.mul(h.lanewise(LSHR, 16).and(0xFF).convert(I2F, 0).reinterpretAsFloats());
                    FloatVector offEven = scEven.mul(16f).sub(mF.mul(h.lanewise(LSHR, 8).and(0xFF).convert(I2F, 0).reinterpretAsFloats()));
                    FloatVector offOdd = scOdd.mul(16f).sub(mF.mul(h.lanewise(LSHR, 24).convert(I2F, 0).reinterpretAsFloats()));
                    FloatVector sum = side == 0 ? aSum : bSum;
                    sum = even.convert(I2F, 0).reinterpretAsFloats().fma(scEven.mul(xEven), sum);
                    sum = odd.convert(I2F, 0).reinterpretAsFloats().fma(scOdd.mul(xOdd), sum);
                    sum = offEven.fma(sEven, offOdd.fma(sOdd, sum));
                    aSum = side == 0 ? sum : aSum;
                    bSum = side == 0 ? bSum : sum;
                }
            }
        }
        aSum.intoArray(lanes, acc * L); // lane sums through memory: an inlined butterfly pushes C2 past its node cut-off
        bSum.intoArray(lanes, (acc + 1) * L);
    }
}
