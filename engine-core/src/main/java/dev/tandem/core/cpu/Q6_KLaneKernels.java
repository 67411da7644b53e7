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
 * Q6_K matmuls with integer products, as llama.cpp's {@code ggml_vec_dot_q6_K_q8_K}: x quantized to int8 per 256
 * values ({@link Q8Activations}), the weights repacked with one 16-value sub-block per 16-bit lane
 * ({@link KQuantLanes#q6K}). A lane's 6-bit q (0..63) is a byte of a short cut out with a mask (and a shift), or for two
 * values in eight, put together from three shorts' top bits; the 16 products of a sub-block, up to 63·127 each, would
 * pass 16 bits even with q - 32 in [-32, 31] (65024), so each lane runs two chains of 8: {@code Σ q·q_x - 32·Σq_x} over 8 values lies within ±32512 and comes
 * out exact through the wrap-around. The two chains become ints, are added and scaled by the int8 scales as integers,
 * then go to a float times {@code d·d_x}.
 */
class Q6_KLaneKernels extends LaneTiles {
    /** Vectors of sums per part of a four-row tile: (batch row, weight row, chain). */
    static final int SLOTS = 16;
    /** Values per group: 32 sub-blocks of 16. */
    static final int GROUP_VALUES = 16 * GROUP_LANES;
    /**
     * Q3_K's positions of nibbles per chain: 2, in a field rather than a constant. Knowing the loop has two trips, C2
     * unrolled it and hoisted all 16 loads of x of a two-row tile, past the 32 vector registers: the tile spilled to
     * the stack and rebuilt its constants, and ran at half Q4_0's operations per cycle.
     */
    final int positions;
    /** Q6_K's runs of 8 values per sub-block: 2, a field for the same reason. */
    final int chains;
    /**
     * Q6_K's positions per chain whose two values are their bytes' low 6 bits: 3, a field for the same reason. Written
     * out, the four-row tile ran at 0.84x the speed of two two-row tiles (C2 scheduled its 32 loads of x early); as a
     * loop it is 1.06x faster than them, and the one- and two-row kernels, written out before, are 1.02-1.05x and
     * 1.08-1.10x faster as the same loop (the 1.1B Q6_K file's passes, alternated in one JVM; docs/PERFORMANCE.md).
     */
    final int triples;

    /**
     * What a header's F16 d, its bits moved into a float's, is multiplied by: 2^112, or 2^102 where the repacking
     * stored 1024·d ({@link KQuantLanes#shiftedD}), so that the product never takes a subnormal operand.
     */
    private final float dFactor;

    Q6_KLaneKernels(DType type, MemorySegment repacked, WeightKernels file, int groupBytes, Q8Activations.Layout layout, boolean dShifted) {
        super(type, repacked, file, groupBytes, SLOTS, layout);
        positions = 2;
        chains = 2;
        triples = 3;
        dFactor = dShifted ? 0x1p102f : P112;
    }

    /** The kernels of the Q6_K tensor {@code w}, repacked on first use over {@code pool}'s threads; {@code file}: the kernels of the file's layout, for decoding rows. */
    static LaneTiles of(Tensor w, WeightKernels file, WorkerPool pool) {
        return LaneTiles.of(w, t -> {
            boolean shifted = KQuantLanes.dShiftable(t.segment(), t.rows(), t.cols(), false, pool);
            return new Q6_KLaneKernels(DType.Q6_K, KQuantLanes.q6K(t.segment(), t.rows(), t.cols(), shifted, pool), file,
                    KQuantLanes.Q6_K_GROUP_BYTES, Q8Activations.Layout.Q6_K, shifted);
        });
    }


    /**
     * Slots per part: unit 0's chains 0 and 1 of row a, then of row b. A chain's three positions hold its 8 values: six
     * in bytes (a mask, or a shift and a mask), the last two in the three shorts' top bits (put together in ten
     * operations, then one or two each): 2.4 operations a value where nibbles and high-bit pairs took 4.4. The six in
     * bytes are a loop over the three positions ({@link #triples}); the two in top bits follow it.
     */
    @Override
    void ints1(Q8Activations a, int r, long wa, long wb, short[] sums) {
        MemorySegment w = repacked;
        for (int g = 0; g < a.groups; g++) {
            for (int part = 0; part < PARTS; part++) {
                long oa = wa + (long) g * groupBytes + 2L * LS * part, ob = wb + (long) g * groupBytes + 2L * LS * part;
                int xi = (r * a.groups + g) * GROUP_VALUES + LS * part, at = (g * PARTS + part) * SLOTS * LS;
                for (int c = 0; c < chains; c++) {
                    ShortVector sa = ShortVector.zero(S), sb = sa;
                    long p0 = 64L * (3 * c + 1);
                    ShortVector qa, qb, u;
                    for (int k = 0; k < triples; k++) {
                        ShortVector va = ShortVector.fromMemorySegment(S, w, oa + p0 + 64 * k, BlockLoads.LE);
                        ShortVector vb = ShortVector.fromMemorySegment(S, w, ob + p0 + 64 * k, BlockLoads.LE);
                        int xv = xi + 32 * (8 * c + 2 * k);
                        qa = va.and(LOW);
                        qb = vb.and(LOW);
                        u = ShortVector.fromArray(S, a.q, xv);
                        sa = sa.add(qa.mul(u));
                        sb = sb.add(qb.mul(u));
                        qa = va.lanewise(LSHR, 8).and(LOW);
                        qb = vb.lanewise(LSHR, 8).and(LOW);
                        u = ShortVector.fromArray(S, a.q, xv + 32);
                        sa = sa.add(qa.mul(u));
                        sb = sb.add(qb.mul(u));
                    }
                    ShortVector a0 = ShortVector.fromMemorySegment(S, w, oa + p0, BlockLoads.LE);
                    ShortVector a1 = ShortVector.fromMemorySegment(S, w, oa + p0 + 64, BlockLoads.LE);
                    ShortVector a2 = ShortVector.fromMemorySegment(S, w, oa + p0 + 128, BlockLoads.LE);
                    ShortVector b0 = ShortVector.fromMemorySegment(S, w, ob + p0, BlockLoads.LE);
                    ShortVector b1 = ShortVector.fromMemorySegment(S, w, ob + p0 + 64, BlockLoads.LE);
                    ShortVector b2 = ShortVector.fromMemorySegment(S, w, ob + p0 + 128, BlockLoads.LE);
                    ShortVector ea = a0.lanewise(LSHR, 6).and((short) 0x0303).or(a1.lanewise(LSHR, 4).and((short) 0x0C0C)).or(a2.lanewise(LSHR, 2).and((short) 0x3030));
                    ShortVector eb = b0.lanewise(LSHR, 6).and((short) 0x0303).or(b1.lanewise(LSHR, 4).and((short) 0x0C0C)).or(b2.lanewise(LSHR, 2).and((short) 0x3030));
                    int xv = xi + 32 * (8 * c + 6);
                    qa = ea.and(LOW);
                    qb = eb.and(LOW);
                    u = ShortVector.fromArray(S, a.q, xv);
                    sa = sa.add(qa.mul(u));
                    sb = sb.add(qb.mul(u));
                    qa = ea.lanewise(LSHR, 8);
                    qb = eb.lanewise(LSHR, 8);
                    u = ShortVector.fromArray(S, a.q, xv + 32);
                    sa = sa.add(qa.mul(u));
                    sb = sb.add(qb.mul(u));
                    sa.intoArray(sums, at + c * LS);
                    sb.intoArray(sums, at + (2 + c) * LS);
                }
            }
        }
    }

    /** Slots per part: (a, r) chains 0 and 1, (b, r), (a, r + 1), (b, r + 1); each weight short's values cut out once for both rows. */
    @Override
    void ints2(Q8Activations a, int r, long wa, long wb, short[] sums) {
        MemorySegment w = repacked;
        int next = a.groups * GROUP_VALUES; // batch row r + 1's values, after r's
        for (int g = 0; g < a.groups; g++) {
            for (int part = 0; part < PARTS; part++) {
                long oa = wa + (long) g * groupBytes + 2L * LS * part, ob = wb + (long) g * groupBytes + 2L * LS * part;
                int xi = (r * a.groups + g) * GROUP_VALUES + LS * part, at = (g * PARTS + part) * SLOTS * LS;
                for (int c = 0; c < chains; c++) {
                    ShortVector sa = ShortVector.zero(S), sb = sa, sc = sa, se = sa;
                    long p0 = 64L * (3 * c + 1);
                    ShortVector qa, qb, u;
                    for (int k = 0; k < triples; k++) {
                        ShortVector va = ShortVector.fromMemorySegment(S, w, oa + p0 + 64 * k, BlockLoads.LE);
                        ShortVector vb = ShortVector.fromMemorySegment(S, w, ob + p0 + 64 * k, BlockLoads.LE);
                        int xv = xi + 32 * (8 * c + 2 * k);
                        qa = va.and(LOW);
                        qb = vb.and(LOW);
                        u = ShortVector.fromArray(S, a.q, xv);
                        sa = sa.add(qa.mul(u));
                        sb = sb.add(qb.mul(u));
                        u = ShortVector.fromArray(S, a.q, xv + next);
                        sc = sc.add(qa.mul(u));
                        se = se.add(qb.mul(u));
                        qa = va.lanewise(LSHR, 8).and(LOW);
                        qb = vb.lanewise(LSHR, 8).and(LOW);
                        u = ShortVector.fromArray(S, a.q, xv + 32);
                        sa = sa.add(qa.mul(u));
                        sb = sb.add(qb.mul(u));
                        u = ShortVector.fromArray(S, a.q, xv + 32 + next);
                        sc = sc.add(qa.mul(u));
                        se = se.add(qb.mul(u));
                    }
                    ShortVector a0 = ShortVector.fromMemorySegment(S, w, oa + p0, BlockLoads.LE);
                    ShortVector a1 = ShortVector.fromMemorySegment(S, w, oa + p0 + 64, BlockLoads.LE);
                    ShortVector a2 = ShortVector.fromMemorySegment(S, w, oa + p0 + 128, BlockLoads.LE);
                    ShortVector b0 = ShortVector.fromMemorySegment(S, w, ob + p0, BlockLoads.LE);
                    ShortVector b1 = ShortVector.fromMemorySegment(S, w, ob + p0 + 64, BlockLoads.LE);
                    ShortVector b2 = ShortVector.fromMemorySegment(S, w, ob + p0 + 128, BlockLoads.LE);
                    ShortVector ea = a0.lanewise(LSHR, 6).and((short) 0x0303).or(a1.lanewise(LSHR, 4).and((short) 0x0C0C)).or(a2.lanewise(LSHR, 2).and((short) 0x3030));
                    ShortVector eb = b0.lanewise(LSHR, 6).and((short) 0x0303).or(b1.lanewise(LSHR, 4).and((short) 0x0C0C)).or(b2.lanewise(LSHR, 2).and((short) 0x3030));
                    int xv = xi + 32 * (8 * c + 6);
                    qa = ea.and(LOW);
                    qb = eb.and(LOW);
                    u = ShortVector.fromArray(S, a.q, xv);
                    sa = sa.add(qa.mul(u));
                    sb = sb.add(qb.mul(u));
                    u = ShortVector.fromArray(S, a.q, xv + next);
                    sc = sc.add(qa.mul(u));
                    se = se.add(qb.mul(u));
                    qa = ea.lanewise(LSHR, 8);
                    qb = eb.lanewise(LSHR, 8);
                    u = ShortVector.fromArray(S, a.q, xv + 32);
                    sa = sa.add(qa.mul(u));
                    sb = sb.add(qb.mul(u));
                    u = ShortVector.fromArray(S, a.q, xv + 32 + next);
                    sc = sc.add(qa.mul(u));
                    se = se.add(qb.mul(u));
                    sa.intoArray(sums, at + c * LS);
                    sb.intoArray(sums, at + (2 + c) * LS);
                    sc.intoArray(sums, at + (4 + c) * LS);
                    se.intoArray(sums, at + (6 + c) * LS);
                }
            }
        }
    }

    /** Q6_K has {@link #ints4}; Q3_K, whose kernels these are too, has not. */
    @Override
    boolean quads() {
        return type == DType.Q6_K;
    }

    /**
     * {@link #ints2} for batch rows r .. r + 3 (units 0-3; unit u's chains at slots 4u .. 4u + 3): each weight short's
     * 6-bit values cut out once for the four rows.
     */
    @Override
    void ints4(Q8Activations a, int r, long wa, long wb, short[] sums) {
        MemorySegment w = repacked;
        int next = a.groups * GROUP_VALUES; // batch row r + 1's values, after r's
        for (int g = 0; g < a.groups; g++) {
            for (int part = 0; part < PARTS; part++) {
                long oa = wa + (long) g * groupBytes + 2L * LS * part, ob = wb + (long) g * groupBytes + 2L * LS * part;
                int xi = (r * a.groups + g) * GROUP_VALUES + LS * part, at = (g * PARTS + part) * SLOTS * LS;
                for (int c = 0; c < chains; c++) { // chain c: values 8c .. 8c + 7, positions 3c .. 3c + 2
                    ShortVector s0 = ShortVector.zero(S), s1 = s0, s2 = s0, s3 = s0, s4 = s0, s5 = s0, s6 = s0, s7 = s0; // (a, r), (b, r), (a, r + 1), ...
                    long p0 = 64L * (3 * c + 1);
                    ShortVector qa, qb, u;
                    for (int k = 0; k < triples; k++) { // position 3c + k: values 8c + 2k and 8c + 2k + 1 in its bytes' low 6 bits
                        ShortVector va = ShortVector.fromMemorySegment(S, w, oa + p0 + 64 * k, BlockLoads.LE);
                        ShortVector vb = ShortVector.fromMemorySegment(S, w, ob + p0 + 64 * k, BlockLoads.LE);
                        int xv = xi + 32 * (8 * c + 2 * k);
                        qa = va.and(LOW);
                        qb = vb.and(LOW);
                        u = ShortVector.fromArray(S, a.q, xv);
                        s0 = s0.add(qa.mul(u));
                        s1 = s1.add(qb.mul(u));
                        u = ShortVector.fromArray(S, a.q, xv + next);
                        s2 = s2.add(qa.mul(u));
                        s3 = s3.add(qb.mul(u));
                        u = ShortVector.fromArray(S, a.q, xv + 2 * next);
                        s4 = s4.add(qa.mul(u));
                        s5 = s5.add(qb.mul(u));
                        u = ShortVector.fromArray(S, a.q, xv + 3 * next);
                        s6 = s6.add(qa.mul(u));
                        s7 = s7.add(qb.mul(u));
                        qa = va.lanewise(LSHR, 8).and(LOW);
                        qb = vb.lanewise(LSHR, 8).and(LOW);
                        u = ShortVector.fromArray(S, a.q, xv + 32);
                        s0 = s0.add(qa.mul(u));
                        s1 = s1.add(qb.mul(u));
                        u = ShortVector.fromArray(S, a.q, xv + 32 + next);
                        s2 = s2.add(qa.mul(u));
                        s3 = s3.add(qb.mul(u));
                        u = ShortVector.fromArray(S, a.q, xv + 32 + 2 * next);
                        s4 = s4.add(qa.mul(u));
                        s5 = s5.add(qb.mul(u));
                        u = ShortVector.fromArray(S, a.q, xv + 32 + 3 * next);
                        s6 = s6.add(qa.mul(u));
                        s7 = s7.add(qb.mul(u));
                    }
                    ShortVector a0 = ShortVector.fromMemorySegment(S, w, oa + p0, BlockLoads.LE);
                    ShortVector a1 = ShortVector.fromMemorySegment(S, w, oa + p0 + 64, BlockLoads.LE);
                    ShortVector a2 = ShortVector.fromMemorySegment(S, w, oa + p0 + 128, BlockLoads.LE);
                    ShortVector b0 = ShortVector.fromMemorySegment(S, w, ob + p0, BlockLoads.LE);
                    ShortVector b1 = ShortVector.fromMemorySegment(S, w, ob + p0 + 64, BlockLoads.LE);
                    ShortVector b2 = ShortVector.fromMemorySegment(S, w, ob + p0 + 128, BlockLoads.LE);
                    ShortVector ea = a0.lanewise(LSHR, 6).and((short) 0x0303).or(a1.lanewise(LSHR, 4).and((short) 0x0C0C)).or(a2.lanewise(LSHR, 2).and((short) 0x3030));
                    ShortVector eb = b0.lanewise(LSHR, 6).and((short) 0x0303).or(b1.lanewise(LSHR, 4).and((short) 0x0C0C)).or(b2.lanewise(LSHR, 2).and((short) 0x3030));
                    int xv = xi + 32 * (8 * c + 6);
                    qa = ea.and(LOW);
                    qb = eb.and(LOW);
                    u = ShortVector.fromArray(S, a.q, xv);
                    s0 = s0.add(qa.mul(u));
                    s1 = s1.add(qb.mul(u));
                    u = ShortVector.fromArray(S, a.q, xv + next);
                    s2 = s2.add(qa.mul(u));
                    s3 = s3.add(qb.mul(u));
                    u = ShortVector.fromArray(S, a.q, xv + 2 * next);
                    s4 = s4.add(qa.mul(u));
                    s5 = s5.add(qb.mul(u));
                    u = ShortVector.fromArray(S, a.q, xv + 3 * next);
                    s6 = s6.add(qa.mul(u));
                    s7 = s7.add(qb.mul(u));
                    qa = ea.lanewise(LSHR, 8);
                    qb = eb.lanewise(LSHR, 8);
                    u = ShortVector.fromArray(S, a.q, xv + 32);
                    s0 = s0.add(qa.mul(u));
                    s1 = s1.add(qb.mul(u));
                    u = ShortVector.fromArray(S, a.q, xv + 32 + next);
                    s2 = s2.add(qa.mul(u));
                    s3 = s3.add(qb.mul(u));
                    u = ShortVector.fromArray(S, a.q, xv + 32 + 2 * next);
                    s4 = s4.add(qa.mul(u));
                    s5 = s5.add(qb.mul(u));
                    u = ShortVector.fromArray(S, a.q, xv + 32 + 3 * next);
                    s6 = s6.add(qa.mul(u));
                    s7 = s7.add(qb.mul(u));
                    s0.intoArray(sums, at + c * LS);
                    s1.intoArray(sums, at + (2 + c) * LS);
                    s2.intoArray(sums, at + (4 + c) * LS);
                    s3.intoArray(sums, at + (6 + c) * LS);
                    s4.intoArray(sums, at + (8 + c) * LS);
                    s5.intoArray(sums, at + (10 + c) * LS);
                    s6.intoArray(sums, at + (12 + c) * LS);
                    s7.intoArray(sums, at + (14 + c) * LS);
                }
            }
        }
    }

    /** A 6-bit value in the low byte of a short. */
    private static final short LOW = 0x3F;

    /**
     * Per side, the two chains less x's offsets ({@code 32·Σq_x} of each half), each exact in 16 bits, widened to ints
     * (an int lane holds two sub-blocks of one super-block, the even one in its low half), each times its int8 scale
     * and added, still exact ({@code |Σ| ≤ 2·65024·128 < 2^24}, so the float is too): times {@code d·d_x}, shared by
     * the lane's two sub-blocks, as llama.cpp sums a super-block's scaled integers before its one float product.
     */
    @Override
    void floats(Q8Activations a, int r, long wa, long wb, short[] sums, int unit, float[] lanes, int acc) {
        MemorySegment w = repacked;
        FloatVector aSum = FloatVector.zero(F), bSum = aSum;
        for (int g = 0; g < a.groups; g++) {
            for (int part = 0; part < PARTS; part++) {
                long oa = wa + (long) g * groupBytes + 2L * LS * part, ob = wb + (long) g * groupBytes + 2L * LS * part;
                int rg = r * a.groups + g, offsets = 2 * rg * GROUP_LANES + LS * part;
                int at = ((g * PARTS + part) * SLOTS + 4 * unit) * LS;
                FloatVector dx = FloatVector.fromArray(F, a.scales, rg * GROUP_LANES + LS * part); // even lanes' d_x: the odd lane's is the same
                ShortVector off0 = ShortVector.fromArray(S, a.offsets, offsets), off1 = ShortVector.fromArray(S, a.offsets, offsets + GROUP_LANES);
                aSum = side(w, oa, ShortVector.fromArray(S, sums, at), ShortVector.fromArray(S, sums, at + LS), off0, off1, dx, dFactor, aSum);
                bSum = side(w, ob, ShortVector.fromArray(S, sums, at + 2 * LS), ShortVector.fromArray(S, sums, at + 3 * LS), off0, off1, dx, dFactor, bSum);
            }
        }
        aSum.intoArray(lanes, acc * L); // lane sums through memory: an inlined butterfly pushes C2 past its node cut-off
        bSum.intoArray(lanes, (acc + 1) * L);
    }

    /** One weight row's part: its two chains at {@code at} less x's offsets, widened, scaled by the int8 scales, times {@code d·d_x}, added to acc. */
    private static FloatVector side(MemorySegment w, long o, ShortVector s0, ShortVector s1, ShortVector off0, ShortVector off1, FloatVector dx,
                                    float dFactor, FloatVector acc) {
        IntVector c0 = (IntVector) s0.sub(off0).reinterpretAsInts();
        IntVector c1 = (IntVector) s1.sub(off1).reinterpretAsInts();
        IntVector h = IntVector.fromMemorySegment(I, w, o, BlockLoads.LE); // the two sub-blocks' int8 scales, then their d
        IntVector even = c0.lanewise(LSHL, 16).lanewise(ASHR, 16).add(c1.lanewise(LSHL, 16).lanewise(ASHR, 16));
        IntVector odd = c0.lanewise(ASHR, 16).add(c1.lanewise(ASHR, 16));
        IntVector scaled = even.mul(h.lanewise(LSHL, 24).lanewise(ASHR, 24)).add(odd.mul(h.lanewise(LSHL, 16).lanewise(ASHR, 24)));
        // the F16 in the high half to a float exactly: its bits moved into a float's, times 2^112 (2^102 for 1024·d)
        FloatVector d = h.lanewise(LSHR, 3).and(0x7FFF << 13).or(h.and(0x80000000)).reinterpretAsFloats().mul(dFactor);
        return scaled.convert(I2F, 0).reinterpretAsFloats().fma(d.mul(dx), acc);
    }
}
