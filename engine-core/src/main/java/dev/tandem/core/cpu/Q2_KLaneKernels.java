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
import jdk.incubator.vector.VectorShuffle;

/**
 * Q2_K matmuls with integer products, as llama.cpp's {@code ggml_vec_dot_q2_K_q8_K}: x quantized to int8 per 256 values
 * as for Q6_K ({@link Q8Activations.Layout#Q6_K}, whose offsets give Q2_K each lane's {@code Σq_x}), the weights repacked with one
 * 16-value sub-block per 16-bit lane ({@link KQuantLanes#q2K}), eight 2-bit values to a short. A chain of 8 products
 * lies within {@code 8·3·127}: no offsets, no wrap-around. A lane's value {@code d·sc·q - dmin·m} makes its sum
 * {@code d·d_x·sc·Σ q·q_x - dmin·d_x·m·Σq_x}, d and dmin those of the lane's super-block.
 */
final class Q2_KLaneKernels extends LaneTiles {
    /** Vectors of sums per part of a two-row tile: (batch row, weight row, chain); values per group (32 sub-blocks of 16): Q6_K's. */
    private static final int SLOTS = 8, GROUP_VALUES = Q6_KLaneKernels.GROUP_VALUES;
    /** Float lane m of a part (sub-blocks 2m, 2m + 1) takes the d and dmin of the part's super-block m / 8. */
    private static final VectorShuffle<Float> SUPER_BLOCK16 = VectorShuffle.fromOp(F, m -> m / 8);

    private Q2_KLaneKernels(MemorySegment repacked, WeightKernels file) {
        super(DType.Q2_K, repacked, file, KQuantLanes.Q2_K_GROUP_BYTES, SLOTS, Q8Activations.Layout.Q6_K);
    }

    /** The kernels of the Q2_K tensor {@code w}, repacked on first use over {@code pool}'s threads; {@code file}: the kernels of the file's layout, for decoding rows. */
    static LaneTiles of(Tensor w, WeightKernels file, WorkerPool pool) {
        return LaneTiles.of(w, t -> new Q2_KLaneKernels(KQuantLanes.q2K(t.segment(), t.rows(), t.cols(), pool), file));
    }


    /** Slots per part: unit 0's chains 0 and 1 of row a, then of row b; chain c is position c's eight values. */
    @Override
    void ints1(Q8Activations a, int r, long wa, long wb, short[] sums) {
        MemorySegment w = repacked;
        for (int g = 0; g < a.groups; g++) {
            for (int part = 0; part < PARTS; part++) {
                long oa = wa + (long) g * groupBytes + 2L * LS * part, ob = wb + (long) g * groupBytes + 2L * LS * part;
                int xi = (r * a.groups + g) * GROUP_VALUES + LS * part, at = (g * PARTS + part) * SLOTS * LS;
                for (int c = 0; c < 2; c++) { // position c: values 8c + i in bits 2i, 2i + 1
                    ShortVector va = ShortVector.fromMemorySegment(S, w, oa + 64L * (c + 1), BlockLoads.LE);
                    ShortVector vb = ShortVector.fromMemorySegment(S, w, ob + 64L * (c + 1), BlockLoads.LE);
                    ShortVector sa = ShortVector.zero(S), sb = sa;
                    int xv = xi + 256 * c; // written out: as a loop of 8, C2 did not unroll it (1.35x slower)
                    ShortVector u = ShortVector.fromArray(S, a.q, xv);
                    sa = sa.add(va.and((short) 3).mul(u));
                    sb = sb.add(vb.and((short) 3).mul(u));
                    u = ShortVector.fromArray(S, a.q, xv + 32);
                    sa = sa.add(va.lanewise(LSHR, 2).and((short) 3).mul(u));
                    sb = sb.add(vb.lanewise(LSHR, 2).and((short) 3).mul(u));
                    u = ShortVector.fromArray(S, a.q, xv + 64);
                    sa = sa.add(va.lanewise(LSHR, 4).and((short) 3).mul(u));
                    sb = sb.add(vb.lanewise(LSHR, 4).and((short) 3).mul(u));
                    u = ShortVector.fromArray(S, a.q, xv + 96);
                    sa = sa.add(va.lanewise(LSHR, 6).and((short) 3).mul(u));
                    sb = sb.add(vb.lanewise(LSHR, 6).and((short) 3).mul(u));
                    u = ShortVector.fromArray(S, a.q, xv + 128);
                    sa = sa.add(va.lanewise(LSHR, 8).and((short) 3).mul(u));
                    sb = sb.add(vb.lanewise(LSHR, 8).and((short) 3).mul(u));
                    u = ShortVector.fromArray(S, a.q, xv + 160);
                    sa = sa.add(va.lanewise(LSHR, 10).and((short) 3).mul(u));
                    sb = sb.add(vb.lanewise(LSHR, 10).and((short) 3).mul(u));
                    u = ShortVector.fromArray(S, a.q, xv + 192);
                    sa = sa.add(va.lanewise(LSHR, 12).and((short) 3).mul(u));
                    sb = sb.add(vb.lanewise(LSHR, 12).and((short) 3).mul(u));
                    u = ShortVector.fromArray(S, a.q, xv + 224);
                    sa = sa.add(va.lanewise(LSHR, 14).mul(u));
                    sb = sb.add(vb.lanewise(LSHR, 14).mul(u));
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
                for (int c = 0; c < 2; c++) {
                    ShortVector va = ShortVector.fromMemorySegment(S, w, oa + 64L * (c + 1), BlockLoads.LE);
                    ShortVector vb = ShortVector.fromMemorySegment(S, w, ob + 64L * (c + 1), BlockLoads.LE);
                    ShortVector sa = ShortVector.zero(S), sb = sa, sc = sa, se = sa; // (a, r), (b, r), (a, r + 1), (b, r + 1)
                    for (int i = 0; i < 8; i++) { // written out, it ran no faster
                        ShortVector qa = va.lanewise(LSHR, 2 * i).and((short) 3), qb = vb.lanewise(LSHR, 2 * i).and((short) 3);
                        ShortVector u = ShortVector.fromArray(S, a.q, xi + 32 * (8 * c + i)), v = ShortVector.fromArray(S, a.q, xi + 32 * (8 * c + i) + next);
                        sa = sa.add(qa.mul(u));
                        sb = sb.add(qb.mul(u));
                        sc = sc.add(qa.mul(v));
                        se = se.add(qb.mul(v));
                    }
                    sa.intoArray(sums, at + c * LS);
                    sb.intoArray(sums, at + (2 + c) * LS);
                    sc.intoArray(sums, at + (4 + c) * LS);
                    se.intoArray(sums, at + (6 + c) * LS);
                }
            }
        }
    }

    /**
     * Per side, the two chains added (an int lane holds two sub-blocks' sums, the even one's in its low half), each
     * times its scale and added as integers, and the lanes' {@code Σq_x} (x's offsets, {@code 32·Σq_x} per half) times
     * their mins likewise: two exact integers per lane pair ({@code ≤ 2·15·6096} and {@code 2·15·32·2032}, below 2^24),
     * then floats times {@code d·d_x} and {@code -dmin·d_x / 32}, as llama.cpp sums a super-block's integers before its
     * float products. Where the sums went to floats lane by lane with the scales as floats, the float steps took 37% of
     * a one-row pass.
     */
    @Override
    void floats(Q8Activations a, int r, long wa, long wb, short[] sums, int unit, float[] lanes, int acc) {
        MemorySegment w = repacked;
        FloatVector aSum = FloatVector.zero(F), bSum = aSum;
        for (int g = 0; g < a.groups; g++) {
            for (int part = 0; part < PARTS; part++) {
                int rg = r * a.groups + g, blocks = rg * GROUP_LANES + LS * part, offsets = 2 * rg * GROUP_LANES + LS * part;
                int at = ((g * PARTS + part) * SLOTS + 4 * unit) * LS;
                FloatVector dx = FloatVector.fromArray(F, a.scales, blocks); // even lanes' d_x: the odd lane's is the same
                IntVector o0 = (IntVector) ShortVector.fromArray(S, a.offsets, offsets).reinterpretAsInts();
                IntVector o1 = (IntVector) ShortVector.fromArray(S, a.offsets, offsets + GROUP_LANES).reinterpretAsInts();
                IntVector qEven = o0.lanewise(LSHL, 16).lanewise(ASHR, 16).add(o1.lanewise(LSHL, 16).lanewise(ASHR, 16)); // 32·Σq_x
                IntVector qOdd = o0.lanewise(ASHR, 16).add(o1.lanewise(ASHR, 16));
                for (int side = 0; side < 2; side++) { // a loop, not two copies: C2 parses it once and unrolls it after
                    long o = (side == 0 ? wa : wb) + (long) g * groupBytes + 2L * LS * part;
                    IntVector s = (IntVector) ShortVector.fromArray(S, sums, at + 2 * side * LS).add(ShortVector.fromArray(S, sums, at + (2 * side + 1) * LS))
                            .reinterpretAsInts();
                    IntVector h = IntVector.fromMemorySegment(I, w, o, BlockLoads.LE); // two sub-blocks' sc | m << 8 per int lane
                    IntVector scaled = s.lanewise(LSHL, 16).lanewise(ASHR, 16).mul(h.and(0xFF)).add(s.lanewise(ASHR, 16).mul(h.lanewise(LSHR, 16).and(0xFF)));
                    IntVector mins = qEven.mul(h.lanewise(LSHR, 8).and(0xFF)).add(qOdd.mul(h.lanewise(LSHR, 24)));
                    long first = o - 2L * LS * part + 4L * (LS * part / 16); // the part's first super-block's d (and, 8 bytes on, dmin)
                    FloatVector dF = FloatVector.fromMemorySegment(F, w, first + KQuantLanes.Q2_K_D, BlockLoads.LE).rearrange(SUPER_BLOCK16);
                    FloatVector mF = FloatVector.fromMemorySegment(F, w, first + KQuantLanes.Q2_K_DMIN, BlockLoads.LE).rearrange(SUPER_BLOCK16);
                    FloatVector sum = side == 0 ? aSum : bSum;
                    sum = scaled.convert(I2F, 0).reinterpretAsFloats().fma(dF.mul(dx), sum);
                    sum = mins.convert(I2F, 0).reinterpretAsFloats().fma(mF.mul(dx).mul(-1f / 32), sum);
                    aSum = side == 0 ? sum : aSum; // C2 unrolls the two sides and folds these
                    bSum = side == 0 ? bSum : sum;
                }
            }
        }
        aSum.intoArray(lanes, acc * L); // lane sums through memory: an inlined butterfly pushes C2 past its node cut-off
        bSum.intoArray(lanes, (acc + 1) * L);
    }
}
