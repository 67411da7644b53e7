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
import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;

/**
 * Q4_0 and Q4_K matmuls with integer products, as llama.cpp's {@code ggml_vec_dot_q4_0_q8_0}: x quantized to int8
 * ({@link Q8Activations}), the weights repacked with one block (Q4_K: one 32-value sub-block) per 16-bit lane
 * ({@link Q4_0Lanes}, {@link KQuantLanes}). Per group of 32 blocks, each lane adds its block's 32 products
 * nibble times int8 in 16-bit arithmetic, which wraps: the sum {@code Σ (nibble - 8)·q} lies in [-32512, 32512], so
 * {@code Σ nibble·q - 8·Σq} taken modulo 2^16 is exact. Q4_0's lane sums become floats and go into a float accumulator
 * per lane with the scale {@code d_w·d_x}; Q4_K's, with x's offsets added back, are scaled by {@code sc} as exact
 * integers per pair of sub-blocks beside {@code m·Σq_x}, then become floats times {@code d·d_x} and {@code -dmin·d_x}
 * ({@link #floats}); an output is the fixed-order lane sum ({@link VectorMath#laneSums}) of its accumulators.
 * The Vector API has no widening byte dot product (llama.cpp's {@code vpdpbusd}), but with blocks in lanes no product
 * crosses a lane, and 16-bit multiplies and adds take 64 values in three operations plus the nibble's shift and
 * mask: Q4_0's one-row matmuls cache-resident 2.4x faster than the float kernels (docs/PERFORMANCE.md).
 *
 * <p>Every (batch row, feature) runs this same arithmetic whatever the batch, so a row's result does not depend on
 * the batch. The results differ from the float-activation kernels' by x's rounding to int8, at most
 * {@code Σ_b d_x,b / 2 · Σ |w|} of block b; a backend made with {@link CpuBackend.Activations#FLOAT} keeps float
 * activations.
 */
class Q8LaneKernels extends LaneTiles {
    /** Vectors of sums per part: (batch row, weight row) of a four-row tile. */
    static final int SLOTS = 8;

    private final boolean superBlocks;

    Q8LaneKernels(DType type, MemorySegment repacked, WeightKernels file, int groupBytes) {
        super(type, repacked, file, groupBytes, SLOTS, type == DType.Q4_K ? Q8Activations.Layout.Q4_K : Q8Activations.Layout.Q4_0);
        this.superBlocks = type == DType.Q4_K;
    }

    /**
     * The kernels of the Q4_0 or Q4_K tensor {@code w}, repacked on first use over {@code pool}'s threads; {@code file}:
     * the kernels of the file's layout, for decoding rows.
     */
    static LaneTiles of(Tensor w, WeightKernels file, WorkerPool pool) {
        return LaneTiles.of(w, t -> t.dtype() == DType.Q4_K
                ? new Q8LaneKernels(DType.Q4_K, KQuantLanes.q4K(t.segment(), t.rows(), t.cols(), pool), file, KQuantLanes.Q4_K_GROUP_BYTES)
                : new Q8LaneKernels(DType.Q4_0, Q4_0Lanes.repack(t.segment(), t.rows(), t.cols(), pool), file, Q4_0Lanes.GROUP_BYTES));
    }


    /**
     * Q4_0: fused ({@link #pair}), the sums never leaving registers (through {@code sums}, {@code bench ar} on the Q4_K
     * file was 0.84-0.98x when the one-row sums came from {@link #ints2}'s loop). Q4_K: its own integer loop
     * ({@link #ints1}) then {@link #floats}, 1.02-1.07x the fused kernel on the Q4_K file and 1.01-1.17x on Q4_K_M
     * (alternated, 4 rounds each; Q4_0 0.96-1.01x, so it stays fused): Q4_K's float steps are the heavier, and apart
     * from them the integer loop runs alone. {@link #floats} writes {@link #pair}'s float steps again, so a row's
     * result is the same in either.
     */
    @Override
    void single(Q8Activations a, int r, long wa, long wb, short[] sums, float[] lanes, int acc) {
        if (superBlocks) {
            super.single(a, r, wa, wb, sums, lanes, acc);
        } else {
            pair(a, r, wa, wb, lanes, acc);
        }
    }

    /** Slots 0 and 1 of each part, two chains per weight row added at the end. */
    @Override
    void ints1(Q8Activations a, int r, long wa, long wb, short[] sums) {
        MemorySegment w = repacked;
        for (int g = 0; g < a.groups; g++) {
            for (int part = 0; part < PARTS; part++) {
                long oa = wa + (long) g * groupBytes + 2L * LS * part, ob = wb + (long) g * groupBytes + 2L * LS * part;
                int xi = (r * a.groups + g) * GROUP_VALUES + LS * part;
                ShortVector sa = ShortVector.zero(S), ta = sa, sb = sa, tb = sa;
                for (int t = 1; t <= 8; t++, xi += 4 * GROUP_BLOCKS) {
                    ShortVector va = ShortVector.fromMemorySegment(S, w, oa + 2L * GROUP_BLOCKS * t, BlockLoads.LE);
                    ShortVector vb = ShortVector.fromMemorySegment(S, w, ob + 2L * GROUP_BLOCKS * t, BlockLoads.LE);
                    ShortVector u = ShortVector.fromArray(S, a.q, xi);
                    sa = sa.add(va.and((short) 0xF).mul(u));
                    sb = sb.add(vb.and((short) 0xF).mul(u));
                    u = ShortVector.fromArray(S, a.q, xi + GROUP_BLOCKS);
                    ta = ta.add(va.lanewise(LSHR, 4).and((short) 0xF).mul(u));
                    tb = tb.add(vb.lanewise(LSHR, 4).and((short) 0xF).mul(u));
                    u = ShortVector.fromArray(S, a.q, xi + 2 * GROUP_BLOCKS);
                    sa = sa.add(va.lanewise(LSHR, 8).and((short) 0xF).mul(u));
                    sb = sb.add(vb.lanewise(LSHR, 8).and((short) 0xF).mul(u));
                    u = ShortVector.fromArray(S, a.q, xi + 3 * GROUP_BLOCKS);
                    ta = ta.add(va.lanewise(LSHR, 12).mul(u));
                    tb = tb.add(vb.lanewise(LSHR, 12).mul(u));
                }
                int at = (g * PARTS + part) * SLOTS * LS;
                sa.add(ta).intoArray(sums, at);
                sb.add(tb).intoArray(sums, at + LS);
            }
        }
    }

    /**
     * Q4_0's weight rows at {@code wa} and {@code wb} against batch row r, sharing each load of x, their accumulators into
     * {@code lanes[acc·L, (acc + 1)·L)} and the next L. The
     * per-row arithmetic after a group's integer sums is written once, in a loop over the two rows whose choices C2
     * folds away (no allocation per call; the same loop with the sums and accumulators passed through memory made
     * Q4_0 1.4x slower).
     */
    private void pair(Q8Activations a, int r, long wa, long wb, float[] lanes, int acc) {
        MemorySegment w = repacked;
        FloatVector a0 = FloatVector.zero(F), a1 = a0, b0 = a0, b1 = a0;
        for (int g = 0; g < a.groups; g++) {
            int rg = r * a.groups + g;
            for (int part = 0; part < PARTS; part++) {
                long oa = wa + (long) g * groupBytes + 2L * LS * part, ob = wb + (long) g * groupBytes + 2L * LS * part;
                int xi = rg * GROUP_VALUES + LS * part;
                ShortVector sa = ShortVector.zero(S), ta = sa, sb = sa, tb = sa; // two chains per row
                for (int t = 1; t <= 8; t++, xi += 4 * GROUP_BLOCKS) { // the shorts of position t - 1: four values
                    ShortVector va = ShortVector.fromMemorySegment(S, w, oa + 2L * GROUP_BLOCKS * t, BlockLoads.LE);
                    ShortVector vb = ShortVector.fromMemorySegment(S, w, ob + 2L * GROUP_BLOCKS * t, BlockLoads.LE);
                    ShortVector u = ShortVector.fromArray(S, a.q, xi);
                    sa = sa.add(va.and((short) 0xF).mul(u));
                    sb = sb.add(vb.and((short) 0xF).mul(u));
                    u = ShortVector.fromArray(S, a.q, xi + GROUP_BLOCKS);
                    ta = ta.add(va.lanewise(LSHR, 4).and((short) 0xF).mul(u));
                    tb = tb.add(vb.lanewise(LSHR, 4).and((short) 0xF).mul(u));
                    u = ShortVector.fromArray(S, a.q, xi + 2 * GROUP_BLOCKS);
                    sa = sa.add(va.lanewise(LSHR, 8).and((short) 0xF).mul(u));
                    sb = sb.add(vb.lanewise(LSHR, 8).and((short) 0xF).mul(u));
                    u = ShortVector.fromArray(S, a.q, xi + 3 * GROUP_BLOCKS);
                    ta = ta.add(va.lanewise(LSHR, 12).mul(u));
                    tb = tb.add(vb.lanewise(LSHR, 12).mul(u));
                }
                int blocks = rg * GROUP_BLOCKS + LS * part;
                ShortVector offset = ShortVector.fromArray(S, a.offsets, blocks);
                FloatVector even = FloatVector.fromArray(F, a.scales, blocks), odd = FloatVector.fromArray(F, a.scales, blocks + LS / 2);
                for (int side = 0; side < 2; side++) {
                    long o = side == 0 ? oa : ob;
                    // an int lane holds two blocks' sums (the even block's in its low half) and two blocks' scale shorts
                    IntVector s = (IntVector) (side == 0 ? sa.add(ta) : sb.add(tb)).sub(offset).reinterpretAsInts(); // Σ (q_w - 8)·q_x, exact
                    IntVector h = IntVector.fromMemorySegment(I, w, o, BlockLoads.LE);
                    FloatVector lo = s.lanewise(LSHL, 16).lanewise(ASHR, 16).convert(I2F, 0).reinterpretAsFloats();
                    FloatVector hi = s.lanewise(ASHR, 16).convert(I2F, 0).reinterpretAsFloats();
                    FloatVector accEven = side == 0 ? a0 : b0, accOdd = side == 0 ? a1 : b1;
                    // Q4_0: d·(q - 8); two F16 scales per int, each to a float exactly (bits moved into a float's, times 2^112)
                    accEven = lo.fma(h.and(0x7FFF).lanewise(LSHL, 13).or(h.and(0x8000).lanewise(LSHL, 16)).reinterpretAsFloats().mul(P112).mul(even), accEven);
                    accOdd = hi.fma(h.lanewise(LSHR, 3).and(0x7FFF << 13).or(h.and(0x80000000)).reinterpretAsFloats().mul(P112).mul(odd), accOdd);
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

    /**
     * The 16-bit sums {@code Σ nibble·q_x} of weight rows at {@code wa} and {@code wb} against batch rows r and r + 1,
     * per group part into {@code sums} slots 0-3 ((a, r), (b, r), (a, r + 1), (b, r + 1), LS shorts each): each weight
     * short is loaded and its nibbles cut out once for both batch rows. The sums are exact whatever their order, so
     * each row's are {@link #pair}'s.
     */
    @Override
    void ints2(Q8Activations a, int r, long wa, long wb, short[] sums) {
        MemorySegment w = repacked;
        int next = a.groups * GROUP_VALUES; // batch row r + 1's values, after r's
        for (int g = 0; g < a.groups; g++) {
            for (int part = 0; part < PARTS; part++) {
                long oa = wa + (long) g * groupBytes + 2L * LS * part, ob = wb + (long) g * groupBytes + 2L * LS * part;
                int xi = (r * a.groups + g) * GROUP_VALUES + LS * part;
                ShortVector sa = ShortVector.zero(S), sb = sa, sc = sa, se = sa; // (a, r), (b, r), (a, r + 1), (b, r + 1)
                for (int t = 1; t <= 8; t++, xi += 4 * GROUP_BLOCKS) {
                    ShortVector va = ShortVector.fromMemorySegment(S, w, oa + 2L * GROUP_BLOCKS * t, BlockLoads.LE);
                    ShortVector vb = ShortVector.fromMemorySegment(S, w, ob + 2L * GROUP_BLOCKS * t, BlockLoads.LE);
                    ShortVector u = ShortVector.fromArray(S, a.q, xi), v = ShortVector.fromArray(S, a.q, xi + next);
                    ShortVector na = va.and((short) 0xF), nb = vb.and((short) 0xF);
                    sa = sa.add(na.mul(u));
                    sb = sb.add(nb.mul(u));
                    sc = sc.add(na.mul(v));
                    se = se.add(nb.mul(v));
                    u = ShortVector.fromArray(S, a.q, xi + GROUP_BLOCKS);
                    v = ShortVector.fromArray(S, a.q, xi + GROUP_BLOCKS + next);
                    na = va.lanewise(LSHR, 4).and((short) 0xF);
                    nb = vb.lanewise(LSHR, 4).and((short) 0xF);
                    sa = sa.add(na.mul(u));
                    sb = sb.add(nb.mul(u));
                    sc = sc.add(na.mul(v));
                    se = se.add(nb.mul(v));
                    u = ShortVector.fromArray(S, a.q, xi + 2 * GROUP_BLOCKS);
                    v = ShortVector.fromArray(S, a.q, xi + 2 * GROUP_BLOCKS + next);
                    na = va.lanewise(LSHR, 8).and((short) 0xF);
                    nb = vb.lanewise(LSHR, 8).and((short) 0xF);
                    sa = sa.add(na.mul(u));
                    sb = sb.add(nb.mul(u));
                    sc = sc.add(na.mul(v));
                    se = se.add(nb.mul(v));
                    u = ShortVector.fromArray(S, a.q, xi + 3 * GROUP_BLOCKS);
                    v = ShortVector.fromArray(S, a.q, xi + 3 * GROUP_BLOCKS + next);
                    na = va.lanewise(LSHR, 12);
                    nb = vb.lanewise(LSHR, 12);
                    sa = sa.add(na.mul(u));
                    sb = sb.add(nb.mul(u));
                    sc = sc.add(na.mul(v));
                    se = se.add(nb.mul(v));
                }
                int at = (g * PARTS + part) * SLOTS * LS;
                sa.intoArray(sums, at);
                sb.intoArray(sums, at + LS);
                sc.intoArray(sums, at + 2 * LS);
                se.intoArray(sums, at + 3 * LS);
            }
        }
    }

    @Override
    boolean quads() {
        return true;
    }

    /**
     * {@link #ints2} for batch rows r .. r + 3: slots 0-7 ((a, r), (b, r), (a, r + 1), ...), each weight short's
     * nibbles cut out once for the four rows. From memory, 2 threads, 2048 x 5632 Q4_K, 8 rows: 0.91x the time of two
     * two-row tiles (docs/PERFORMANCE.md, "Multi-row passes").
     */
    @Override
    void ints4(Q8Activations a, int r, long wa, long wb, short[] sums) {
        MemorySegment w = repacked;
        int next = a.groups * GROUP_VALUES;
        for (int g = 0; g < a.groups; g++) {
            for (int part = 0; part < PARTS; part++) {
                long oa = wa + (long) g * groupBytes + 2L * LS * part, ob = wb + (long) g * groupBytes + 2L * LS * part;
                int xi = (r * a.groups + g) * GROUP_VALUES + LS * part;
                ShortVector s0 = ShortVector.zero(S), s1 = s0, s2 = s0, s3 = s0, s4 = s0, s5 = s0, s6 = s0, s7 = s0;
                for (int t = 1; t <= 8; t++, xi += 4 * GROUP_BLOCKS) {
                    ShortVector va = ShortVector.fromMemorySegment(S, w, oa + 2L * GROUP_BLOCKS * t, BlockLoads.LE);
                    ShortVector vb = ShortVector.fromMemorySegment(S, w, ob + 2L * GROUP_BLOCKS * t, BlockLoads.LE);
                    ShortVector na, nb, u;
                    na = va.and((short) 0xF);
                    nb = vb.and((short) 0xF);
                    u = ShortVector.fromArray(S, a.q, xi);
                    s0 = s0.add(na.mul(u));
                    s1 = s1.add(nb.mul(u));
                    u = ShortVector.fromArray(S, a.q, xi + next);
                    s2 = s2.add(na.mul(u));
                    s3 = s3.add(nb.mul(u));
                    u = ShortVector.fromArray(S, a.q, xi + 2 * next);
                    s4 = s4.add(na.mul(u));
                    s5 = s5.add(nb.mul(u));
                    u = ShortVector.fromArray(S, a.q, xi + 3 * next);
                    s6 = s6.add(na.mul(u));
                    s7 = s7.add(nb.mul(u));
                    na = va.lanewise(LSHR, 4).and((short) 0xF);
                    nb = vb.lanewise(LSHR, 4).and((short) 0xF);
                    u = ShortVector.fromArray(S, a.q, xi + GROUP_BLOCKS);
                    s0 = s0.add(na.mul(u));
                    s1 = s1.add(nb.mul(u));
                    u = ShortVector.fromArray(S, a.q, xi + GROUP_BLOCKS + next);
                    s2 = s2.add(na.mul(u));
                    s3 = s3.add(nb.mul(u));
                    u = ShortVector.fromArray(S, a.q, xi + GROUP_BLOCKS + 2 * next);
                    s4 = s4.add(na.mul(u));
                    s5 = s5.add(nb.mul(u));
                    u = ShortVector.fromArray(S, a.q, xi + GROUP_BLOCKS + 3 * next);
                    s6 = s6.add(na.mul(u));
                    s7 = s7.add(nb.mul(u));
                    na = va.lanewise(LSHR, 8).and((short) 0xF);
                    nb = vb.lanewise(LSHR, 8).and((short) 0xF);
                    u = ShortVector.fromArray(S, a.q, xi + 2 * GROUP_BLOCKS);
                    s0 = s0.add(na.mul(u));
                    s1 = s1.add(nb.mul(u));
                    u = ShortVector.fromArray(S, a.q, xi + 2 * GROUP_BLOCKS + next);
                    s2 = s2.add(na.mul(u));
                    s3 = s3.add(nb.mul(u));
                    u = ShortVector.fromArray(S, a.q, xi + 2 * GROUP_BLOCKS + 2 * next);
                    s4 = s4.add(na.mul(u));
                    s5 = s5.add(nb.mul(u));
                    u = ShortVector.fromArray(S, a.q, xi + 2 * GROUP_BLOCKS + 3 * next);
                    s6 = s6.add(na.mul(u));
                    s7 = s7.add(nb.mul(u));
                    na = va.lanewise(LSHR, 12);
                    nb = vb.lanewise(LSHR, 12);
                    u = ShortVector.fromArray(S, a.q, xi + 3 * GROUP_BLOCKS);
                    s0 = s0.add(na.mul(u));
                    s1 = s1.add(nb.mul(u));
                    u = ShortVector.fromArray(S, a.q, xi + 3 * GROUP_BLOCKS + next);
                    s2 = s2.add(na.mul(u));
                    s3 = s3.add(nb.mul(u));
                    u = ShortVector.fromArray(S, a.q, xi + 3 * GROUP_BLOCKS + 2 * next);
                    s4 = s4.add(na.mul(u));
                    s5 = s5.add(nb.mul(u));
                    u = ShortVector.fromArray(S, a.q, xi + 3 * GROUP_BLOCKS + 3 * next);
                    s6 = s6.add(na.mul(u));
                    s7 = s7.add(nb.mul(u));
                }
                int at = (g * PARTS + part) * SLOTS * LS;
                s0.intoArray(sums, at);
                s1.intoArray(sums, at + LS);
                s2.intoArray(sums, at + 2 * LS);
                s3.intoArray(sums, at + 3 * LS);
                s4.intoArray(sums, at + 4 * LS);
                s5.intoArray(sums, at + 5 * LS);
                s6.intoArray(sums, at + 6 * LS);
                s7.intoArray(sums, at + 7 * LS);
            }
        }
    }

    /**
     * Batch row r's floats for weight rows at {@code wa} and {@code wb} from their integer sums in {@code sums} slots
     * {@code slot = 2·unit} and {@code slot + 1}; their accumulators into {@code lanes[acc·L, (acc + 1)·L)} and the
     * next L: {@link #pair}'s float steps, written again. Written out: the same steps through small
     * helper methods (scales, sums) took C2 past its inlining cut-off, and vectors passed to a method it did not
     * inline were boxed (Q4_K 3x slower).
     */
    @Override
    void floats(Q8Activations a, int r, long wa, long wb, short[] sums, int unit, float[] lanes, int acc) {
        int slot = 2 * unit;
        MemorySegment w = repacked;
        FloatVector a0 = FloatVector.zero(F), a1 = a0, b0 = a0, b1 = a0;
        for (int g = 0; g < a.groups; g++) {
            for (int part = 0; part < PARTS; part++) {
                long oa = wa + (long) g * groupBytes + 2L * LS * part, ob = wb + (long) g * groupBytes + 2L * LS * part;
                int blocks = (r * a.groups + g) * GROUP_BLOCKS + LS * part, at = ((g * PARTS + part) * SLOTS + slot) * LS;
                for (int side = 0; side < 2; side++) { // a loop, not two copies: C2 parses it once and unrolls it after
                    IntVector s = exact(ShortVector.fromArray(S, sums, at + side * LS), a, blocks);
                    long o = side == 0 ? oa : ob;
                    IntVector h = IntVector.fromMemorySegment(I, w, o, BlockLoads.LE); // two blocks' scale shorts per int lane
                    FloatVector even = side == 0 ? a0 : b0, odd = side == 0 ? a1 : b1;
                    FloatVector xEven = FloatVector.fromArray(F, a.scales, blocks);
                    if (superBlocks) { // Q4_K: d·sc·q - dmin·m, d and dmin those of the lane's super-block
                        // per int lane, as exact integers (below 2^24): sc·Σ q·q_x (the sums with x's offsets 8·Σq_x back) and 8·m·Σq_x
                        IntVector off = (IntVector) ShortVector.fromArray(S, a.offsets, blocks).reinterpretAsInts();
                        IntVector offEven = off.lanewise(LSHL, 16).lanewise(ASHR, 16), offOdd = off.lanewise(ASHR, 16);
                        IntVector scaled = s.lanewise(LSHL, 16).lanewise(ASHR, 16).add(offEven).mul(h.and(0xFF))
                                .add(s.lanewise(ASHR, 16).add(offOdd).mul(h.lanewise(LSHR, 16).and(0xFF)));
                        IntVector mins = offEven.mul(h.lanewise(LSHR, 8).and(0xFF)).add(offOdd.mul(h.lanewise(LSHR, 24)));
                        long first = o - 2L * LS * part + 4L * (LS * part / 8); // the part's first super-block's d (and, 16 bytes on, dmin)
                        FloatVector dF = FloatVector.fromMemorySegment(F, w, first + KQuantLanes.Q4_K_D, BlockLoads.LE).rearrange(SUPER_BLOCK);
                        FloatVector mF = FloatVector.fromMemorySegment(F, w, first + KQuantLanes.Q4_K_DMIN, BlockLoads.LE).rearrange(SUPER_BLOCK);
                        even = scaled.convert(I2F, 0).reinterpretAsFloats().fma(dF.mul(xEven), even);
                        odd = mins.convert(I2F, 0).reinterpretAsFloats().fma(mF.mul(xEven).mul(-1f / 8), odd);
                    } else { // Q4_0: d·(q - 8); two F16 scales per int, each to a float exactly (bits moved into a float's, times 2^112)
                        FloatVector lo = s.lanewise(LSHL, 16).lanewise(ASHR, 16).convert(I2F, 0).reinterpretAsFloats();
                        FloatVector hi = s.lanewise(ASHR, 16).convert(I2F, 0).reinterpretAsFloats();
                        FloatVector xOdd = FloatVector.fromArray(F, a.scales, blocks + LS / 2);
                        even = lo.fma(h.and(0x7FFF).lanewise(LSHL, 13).or(h.and(0x8000).lanewise(LSHL, 16)).reinterpretAsFloats().mul(P112).mul(xEven), even);
                        odd = hi.fma(h.lanewise(LSHR, 3).and(0x7FFF << 13).or(h.and(0x80000000)).reinterpretAsFloats().mul(P112).mul(xOdd), odd);
                    }
                    a0 = side == 0 ? even : a0; // C2 unrolls the two sides and folds these
                    a1 = side == 0 ? odd : a1;
                    b0 = side == 0 ? b0 : even;
                    b1 = side == 0 ? b1 : odd;
                }
            }
        }
        a0.add(a1).intoArray(lanes, acc * L); // lane sums through memory: an inlined butterfly pushes C2 past its node cut-off
        b0.add(b1).intoArray(lanes, (acc + 1) * L);
    }

    /**
     * A part's 16-bit sums less x's offsets, {@code Σ (q_w - 8)·q_x} exact; an int lane holds two blocks' (the even
     * block's in its low half).
     */
    static IntVector exact(ShortVector sums, Q8Activations a, int blocks) {
        return (IntVector) sums.sub(ShortVector.fromArray(S, a.offsets, blocks)).reinterpretAsInts();
    }
}
