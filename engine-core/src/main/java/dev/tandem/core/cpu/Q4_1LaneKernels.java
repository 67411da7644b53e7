package dev.tandem.core.cpu;

import static dev.tandem.core.cpu.Q4_0Lanes.GROUP_BLOCKS;
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
 * Q4_1 matmuls with integer products, as llama.cpp's {@code ggml_vec_dot_q4_1_q8_1}: Q4_0's layout, rounded x and
 * integer loops ({@link Q8LaneKernels}: {@code Σ (q - 8)·q_x} per block, exact), the block's min in the float step:
 * its value {@code d·q + m} is {@code d·(q - 8) + (8·d + m)}, so a block adds {@code d·d_x·Σ (q - 8)·q_x} and
 * {@code (8·d + m)} times its {@code d_x·Σq_x}.
 */
final class Q4_1LaneKernels extends Q8LaneKernels {

    private Q4_1LaneKernels(MemorySegment repacked, WeightKernels file) {
        super(DType.Q4_1, repacked, file, Q4_0Lanes.Q4_1_GROUP_BYTES);
    }

    /** The kernels of the Q4_1 tensor {@code w}, repacked on first use over {@code pool}'s threads; {@code file}: the kernels of the file's layout, for decoding rows. */
    static LaneTiles of(Tensor w, WeightKernels file, WorkerPool pool) {
        return LaneTiles.of(w, t -> new Q4_1LaneKernels(Q4_0Lanes.repackQ4_1(t.segment(), t.rows(), t.cols(), pool), file));
    }

    /** The integer loop, then {@link #floats}: Q4_0's fused kernel has no min term. */
    @Override
    void single(Q8Activations a, int r, long wa, long wb, short[] sums, float[] lanes, int acc) {
        ints1(a, r, wa, wb, sums);
        floats(a, r, wa, wb, sums, 0, lanes, acc);
    }

    /** Q4_0's float steps with the mins' term; the F16 d and m of two blocks per int lane, each to a float exactly (bits moved into a float's, times 2^112). */
    @Override
    void floats(Q8Activations a, int r, long wa, long wb, short[] sums, int unit, float[] lanes, int acc) {
        int slot = 2 * unit;
        MemorySegment w = repacked;
        FloatVector a0 = FloatVector.zero(F), a1 = a0, b0 = a0, b1 = a0;
        for (int g = 0; g < a.groups; g++) {
            for (int part = 0; part < PARTS; part++) {
                long oa = wa + (long) g * groupBytes + 2L * LS * part, ob = wb + (long) g * groupBytes + 2L * LS * part;
                int blocks = (r * a.groups + g) * GROUP_BLOCKS + LS * part, at = ((g * PARTS + part) * SLOTS + slot) * LS;
                FloatVector xEven = FloatVector.fromArray(F, a.scales, blocks), xOdd = FloatVector.fromArray(F, a.scales, blocks + LS / 2);
                FloatVector sEven = FloatVector.fromArray(F, a.sums, blocks), sOdd = FloatVector.fromArray(F, a.sums, blocks + LS / 2);
                for (int side = 0; side < 2; side++) { // a loop, not two copies: C2 parses it once and unrolls it after
                    IntVector s = exact(ShortVector.fromArray(S, sums, at + side * LS), a, blocks);
                    long o = side == 0 ? oa : ob;
                    IntVector h = IntVector.fromMemorySegment(I, w, o, BlockLoads.LE), m = IntVector.fromMemorySegment(I, w, o + Q4_0Lanes.Q4_1_MINS, BlockLoads.LE);
                    FloatVector lo = s.lanewise(LSHL, 16).lanewise(ASHR, 16).convert(I2F, 0).reinterpretAsFloats();
                    FloatVector hi = s.lanewise(ASHR, 16).convert(I2F, 0).reinterpretAsFloats();
                    FloatVector dEven = h.and(0x7FFF).lanewise(LSHL, 13).or(h.and(0x8000).lanewise(LSHL, 16)).reinterpretAsFloats().mul(P112);
                    FloatVector dOdd = h.lanewise(LSHR, 3).and(0x7FFF << 13).or(h.and(0x80000000)).reinterpretAsFloats().mul(P112);
                    FloatVector mEven = m.and(0x7FFF).lanewise(LSHL, 13).or(m.and(0x8000).lanewise(LSHL, 16)).reinterpretAsFloats().mul(P112);
                    FloatVector mOdd = m.lanewise(LSHR, 3).and(0x7FFF << 13).or(m.and(0x80000000)).reinterpretAsFloats().mul(P112);
                    FloatVector even = side == 0 ? a0 : b0, odd = side == 0 ? a1 : b1;
                    even = lo.fma(dEven.mul(xEven), even).add(dEven.mul(8f).add(mEven).mul(sEven));
                    odd = hi.fma(dOdd.mul(xOdd), odd).add(dOdd.mul(8f).add(mOdd).mul(sOdd));
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
}
