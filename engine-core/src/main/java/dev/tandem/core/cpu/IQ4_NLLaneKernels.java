package dev.tandem.core.cpu;

import static dev.tandem.core.cpu.Q4_0Lanes.GROUP_BLOCKS;
import static dev.tandem.core.cpu.Q4_0Lanes.GROUP_VALUES;
import static dev.tandem.core.cpu.Q8Activations.LS;
import static dev.tandem.core.cpu.VectorMath.F;
import static dev.tandem.core.cpu.VectorMath.L;
import static jdk.incubator.vector.VectorOperators.ASHR;
import static jdk.incubator.vector.VectorOperators.I2F;
import static jdk.incubator.vector.VectorOperators.LSHL;
import static jdk.incubator.vector.VectorOperators.LSHR;

import dev.tandem.core.DType;
import dev.tandem.core.Tensor;
import dev.tandem.core.codec.IQ4_NLCodec;
import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;

/**
 * IQ4_NL matmuls with integer products, as llama.cpp's {@code ggml_vec_dot_iq4_nl_q8_0}: x rounded to int8 per 32
 * values ({@link Q8Activations}, Q4_0's layout), the weights in Q4_0's lanes ({@link Q4_0Lanes}: IQ4_NL's blocks are
 * Q4_0's, an F16 scale and 16 bytes of nibbles). A level is {@code 16·(i - 8) + r(i)} for nibble i, with residues r in
 * [-11, 15]: Q4_0's sum {@code Σ (i - 8)·q} (exact modulo 2^16, {@link Q8LaneKernels}) plus {@code Σ r(i)·q}, the
 * residues looked up in a 16-lane table ({@code vpermw}) and summed in two chains of 16 values per block, so each
 * stays within 16 bits ({@code 16·15·127 = 30480}). A level times q needs more than 16 bits over a block (32 products
 * of up to 16129), which is why the levels are not summed directly; 16·Σ(i - 8)·q and the chains are added as ints.
 * Each batch row's integer sums are exact whatever the tile, so a row's result does not depend on the batch.
 */
final class IQ4_NLLaneKernels extends LaneTiles {
    /**
     * Vectors of sums per part: per batch row of a two-row tile (a unit), the nibbles' sums of both weight rows, then
     * each one's two residue chains.
     */
    private static final int SLOTS = 12, UNIT = 6;
    /**
     * Whether a vector of shorts holds the 16 residues (256-bit vectors and wider); with 128-bit ones IQ4_NL keeps
     * float activations ({@link WeightKernels#of(dev.tandem.core.Tensor, boolean, WorkerPool)}).
     */
    static final boolean APPLIES = S.length() >= 16;
    /** {@code r(i) = level(i) - 16·(i - 8)} in lane i (and i + 16, ...): the table {@code selectFrom} reads by nibble. */
    private static final ShortVector RESIDUES;

    static {
        byte[] levels = IQ4_NLCodec.levels();
        short[] r = new short[S.length()];
        for (int i = 0; i < r.length; i++) {
            r[i] = (short) (levels[i % 16] - 16 * (i % 16 - 8));
        }
        RESIDUES = ShortVector.fromArray(S, r, 0);
    }

    private IQ4_NLLaneKernels(MemorySegment repacked, WeightKernels file) {
        super(DType.IQ4_NL, repacked, file, Q4_0Lanes.GROUP_BYTES, SLOTS, Q8Activations.Layout.Q4_0);
    }

    /**
     * The kernels of the IQ4_NL tensor {@code w}, repacked on first use over {@code pool}'s threads; {@code file}: the
     * kernels of the file's layout, for decoding rows.
     */
    static LaneTiles of(Tensor w, WeightKernels file, WorkerPool pool) {
        return LaneTiles.of(w, t -> new IQ4_NLLaneKernels(Q4_0Lanes.repack(t.segment(), t.rows(), t.cols(), pool), file));
    }

    /** Unit 0's sums: {@link #rowSums} of batch row r. */
    @Override
    void ints1(Q8Activations a, int r, long wa, long wb, short[] sums) {
        rowSums(a, r, wa, wb, sums);
    }

    /**
     * Batch rows r (unit 0) and r + 1 (unit 1) against weight rows at {@code wa} and {@code wb}: {@link #rowSums}'s chains
     * for both rows (twelve), each weight short's nibbles cut out and looked up once for the two. Against the two rows one
     * after the other (the second reading the weights from L1), toggled in one JVM on the IQ4_NL file: 2 rows 1.186x,
     * 3 rows 1.114x, 4 rows 1.206x, 16 rows 1.169x (docs/PERFORMANCE.md).
     */
    @Override
    void ints2(Q8Activations a, int r, long wa, long wb, short[] sums) {
        ints2ByPart(a, r, wa, wb, sums);
    }

    /** {@link #ints2}'s sums of one part of group g, whose weight rows' shorts are at {@code oa} and {@code ob}. */
    @Override
    void ints2Part(Q8Activations a, int r, long oa, long ob, int g, int part, short[] sums) {
        MemorySegment w = repacked;
        int next = a.groups * GROUP_VALUES; // batch row r + 1's values, after r's
        int xi = (r * a.groups + g) * GROUP_VALUES + LS * part;
        ShortVector sa = ShortVector.zero(S), sb = sa, ra = sa, ta = sa, rb = sa, tb = sa; // row r
        ShortVector sc = sa, se = sa, rc = sa, tc = sa, re = sa, te = sa; // row r + 1
        for (int t = 1; t <= 8; t++, xi += 4 * GROUP_BLOCKS) {
            ShortVector va = ShortVector.fromMemorySegment(S, w, oa + 2L * GROUP_BLOCKS * t, BlockLoads.LE);
            ShortVector vb = ShortVector.fromMemorySegment(S, w, ob + 2L * GROUP_BLOCKS * t, BlockLoads.LE);
            ShortVector na, nb, la, lb, u, v;
            na = va.and((short) 0xF);
            nb = vb.and((short) 0xF);
            la = na.selectFrom(RESIDUES);
            lb = nb.selectFrom(RESIDUES);
            u = ShortVector.fromArray(S, a.q, xi);
            v = ShortVector.fromArray(S, a.q, xi + next);
            sa = sa.add(na.mul(u));
            sb = sb.add(nb.mul(u));
            ra = ra.add(la.mul(u));
            rb = rb.add(lb.mul(u));
            sc = sc.add(na.mul(v));
            se = se.add(nb.mul(v));
            rc = rc.add(la.mul(v));
            re = re.add(lb.mul(v));
            na = va.lanewise(LSHR, 4).and((short) 0xF);
            nb = vb.lanewise(LSHR, 4).and((short) 0xF);
            la = na.selectFrom(RESIDUES);
            lb = nb.selectFrom(RESIDUES);
            u = ShortVector.fromArray(S, a.q, xi + GROUP_BLOCKS);
            v = ShortVector.fromArray(S, a.q, xi + GROUP_BLOCKS + next);
            sa = sa.add(na.mul(u));
            sb = sb.add(nb.mul(u));
            ta = ta.add(la.mul(u));
            tb = tb.add(lb.mul(u));
            sc = sc.add(na.mul(v));
            se = se.add(nb.mul(v));
            tc = tc.add(la.mul(v));
            te = te.add(lb.mul(v));
            na = va.lanewise(LSHR, 8).and((short) 0xF);
            nb = vb.lanewise(LSHR, 8).and((short) 0xF);
            la = na.selectFrom(RESIDUES);
            lb = nb.selectFrom(RESIDUES);
            u = ShortVector.fromArray(S, a.q, xi + 2 * GROUP_BLOCKS);
            v = ShortVector.fromArray(S, a.q, xi + 2 * GROUP_BLOCKS + next);
            sa = sa.add(na.mul(u));
            sb = sb.add(nb.mul(u));
            ra = ra.add(la.mul(u));
            rb = rb.add(lb.mul(u));
            sc = sc.add(na.mul(v));
            se = se.add(nb.mul(v));
            rc = rc.add(la.mul(v));
            re = re.add(lb.mul(v));
            na = va.lanewise(LSHR, 12);
            nb = vb.lanewise(LSHR, 12);
            la = na.selectFrom(RESIDUES);
            lb = nb.selectFrom(RESIDUES);
            u = ShortVector.fromArray(S, a.q, xi + 3 * GROUP_BLOCKS);
            v = ShortVector.fromArray(S, a.q, xi + 3 * GROUP_BLOCKS + next);
            sa = sa.add(na.mul(u));
            sb = sb.add(nb.mul(u));
            ta = ta.add(la.mul(u));
            tb = tb.add(lb.mul(u));
            sc = sc.add(na.mul(v));
            se = se.add(nb.mul(v));
            tc = tc.add(la.mul(v));
            te = te.add(lb.mul(v));
        }
        int at = (g * PARTS + part) * SLOTS * LS;
        sa.intoArray(sums, at);
        sb.intoArray(sums, at + LS);
        ra.intoArray(sums, at + 2 * LS);
        ta.intoArray(sums, at + 3 * LS);
        rb.intoArray(sums, at + 4 * LS);
        tb.intoArray(sums, at + 5 * LS);
        sc.intoArray(sums, at + UNIT * LS);
        se.intoArray(sums, at + (UNIT + 1) * LS);
        rc.intoArray(sums, at + (UNIT + 2) * LS);
        tc.intoArray(sums, at + (UNIT + 3) * LS);
        re.intoArray(sums, at + (UNIT + 4) * LS);
        te.intoArray(sums, at + (UNIT + 5) * LS);
    }

    /**
     * Batch row r against weight rows at {@code wa} and {@code wb}, into unit 0's slots: per part, {@code Σ i·q} of each
     * weight row (one chain over the block's 32 values: exact once x's offsets come off) and its residues' two chains (the
     * values of nibbles 0 and 2 of a short, and of nibbles 1 and 3: 16 each).
     */
    private void rowSums(Q8Activations a, int r, long wa, long wb, short[] sums) {
        MemorySegment w = repacked;
        for (int g = 0; g < a.groups; g++) {
            for (int part = 0; part < PARTS; part++) {
                long oa = wa + (long) g * groupBytes + 2L * LS * part, ob = wb + (long) g * groupBytes + 2L * LS * part;
                int xi = (r * a.groups + g) * GROUP_VALUES + LS * part;
                ShortVector sa = ShortVector.zero(S), sb = sa, ra = sa, ta = sa, rb = sa, tb = sa;
                for (int t = 1; t <= 8; t++, xi += 4 * GROUP_BLOCKS) {
                    ShortVector va = ShortVector.fromMemorySegment(S, w, oa + 2L * GROUP_BLOCKS * t, BlockLoads.LE);
                    ShortVector vb = ShortVector.fromMemorySegment(S, w, ob + 2L * GROUP_BLOCKS * t, BlockLoads.LE);
                    ShortVector u = ShortVector.fromArray(S, a.q, xi);
                    ShortVector na = va.and((short) 0xF), nb = vb.and((short) 0xF);
                    sa = sa.add(na.mul(u));
                    sb = sb.add(nb.mul(u));
                    ra = ra.add(na.selectFrom(RESIDUES).mul(u));
                    rb = rb.add(nb.selectFrom(RESIDUES).mul(u));
                    u = ShortVector.fromArray(S, a.q, xi + GROUP_BLOCKS);
                    na = va.lanewise(LSHR, 4).and((short) 0xF);
                    nb = vb.lanewise(LSHR, 4).and((short) 0xF);
                    sa = sa.add(na.mul(u));
                    sb = sb.add(nb.mul(u));
                    ta = ta.add(na.selectFrom(RESIDUES).mul(u));
                    tb = tb.add(nb.selectFrom(RESIDUES).mul(u));
                    u = ShortVector.fromArray(S, a.q, xi + 2 * GROUP_BLOCKS);
                    na = va.lanewise(LSHR, 8).and((short) 0xF);
                    nb = vb.lanewise(LSHR, 8).and((short) 0xF);
                    sa = sa.add(na.mul(u));
                    sb = sb.add(nb.mul(u));
                    ra = ra.add(na.selectFrom(RESIDUES).mul(u));
                    rb = rb.add(nb.selectFrom(RESIDUES).mul(u));
                    u = ShortVector.fromArray(S, a.q, xi + 3 * GROUP_BLOCKS);
                    na = va.lanewise(LSHR, 12);
                    nb = vb.lanewise(LSHR, 12);
                    sa = sa.add(na.mul(u));
                    sb = sb.add(nb.mul(u));
                    ta = ta.add(na.selectFrom(RESIDUES).mul(u));
                    tb = tb.add(nb.selectFrom(RESIDUES).mul(u));
                }
                int at = (g * PARTS + part) * SLOTS * LS;
                sa.intoArray(sums, at);
                sb.intoArray(sums, at + LS);
                ra.intoArray(sums, at + 2 * LS);
                ta.intoArray(sums, at + 3 * LS);
                rb.intoArray(sums, at + 4 * LS);
                tb.intoArray(sums, at + 5 * LS);
            }
        }
    }

    /**
     * Batch row r's floats for weight rows at {@code wa} and {@code wb} from unit {@code unit}'s sums: per int lane (two
     * blocks, the even one's in the low halves) {@code 16·Σ (i - 8)·q + Σ r·q} as exact ints, times {@code d_w·d_x}.
     */
    @Override
    void floats(Q8Activations a, int r, long wa, long wb, short[] sums, int unit, float[] lanes, int acc) {
        MemorySegment w = repacked;
        FloatVector a0 = FloatVector.zero(F), a1 = a0, b0 = a0, b1 = a0;
        for (int g = 0; g < a.groups; g++) {
            for (int part = 0; part < PARTS; part++) {
                long oa = wa + (long) g * groupBytes + 2L * LS * part, ob = wb + (long) g * groupBytes + 2L * LS * part;
                int blocks = (r * a.groups + g) * GROUP_BLOCKS + LS * part, at = ((g * PARTS + part) * SLOTS + UNIT * unit) * LS;
                FloatVector xEven = FloatVector.fromArray(F, a.scales, blocks), xOdd = FloatVector.fromArray(F, a.scales, blocks + LS / 2);
                for (int side = 0; side < 2; side++) { // a loop, not two copies: C2 parses it once and unrolls it after
                    IntVector s = Q8LaneKernels.exact(ShortVector.fromArray(S, sums, at + side * LS), a, blocks);
                    IntVector c0 = (IntVector) ShortVector.fromArray(S, sums, at + (2 + 2 * side) * LS).reinterpretAsInts();
                    IntVector c1 = (IntVector) ShortVector.fromArray(S, sums, at + (3 + 2 * side) * LS).reinterpretAsInts();
                    IntVector even = s.lanewise(LSHL, 16).lanewise(ASHR, 12)
                            .add(c0.lanewise(LSHL, 16).lanewise(ASHR, 16)).add(c1.lanewise(LSHL, 16).lanewise(ASHR, 16));
                    IntVector odd = s.lanewise(ASHR, 16).lanewise(LSHL, 4).add(c0.lanewise(ASHR, 16)).add(c1.lanewise(ASHR, 16));
                    long o = side == 0 ? oa : ob;
                    IntVector h = IntVector.fromMemorySegment(I, w, o, BlockLoads.LE); // two blocks' F16 scales per int lane
                    FloatVector accEven = side == 0 ? a0 : b0, accOdd = side == 0 ? a1 : b1;
                    accEven = even.convert(I2F, 0).reinterpretAsFloats().fma(h.and(0x7FFF).lanewise(LSHL, 13)
                            .or(h.and(0x8000).lanewise(LSHL, 16)).reinterpretAsFloats().mul(P112).mul(xEven), accEven);
                    accOdd = odd.convert(I2F, 0).reinterpretAsFloats().fma(h.lanewise(LSHR, 3).and(0x7FFF << 13)
                            .or(h.and(0x80000000)).reinterpretAsFloats().mul(P112).mul(xOdd), accOdd);
                    a0 = side == 0 ? accEven : a0; // C2 unrolls the two sides and folds these
                    a1 = side == 0 ? accOdd : a1;
                    b0 = side == 0 ? b0 : accEven;
                    b1 = side == 0 ? b1 : accOdd;
                }
            }
        }
        a0.add(a1).intoArray(lanes, acc * L); // lane sums through memory: an inlined butterfly pushes C2 past its node cut-off
        b0.add(b1).intoArray(lanes, (acc + 1) * L);
    }
}
