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
 * Q5_0 and Q5_1 matmuls with integer products, as llama.cpp's {@code ggml_vec_dot_q5_0_q8_0} and {@code _q5_1_q8_1}: x
 * rounded per 32-value block as for Q4_0, in value order ({@link Q8Activations.Layout#Q5_0}), the weights in Q5_K's
 * lanes ({@link KQuantLanes#q5Legacy}: {@code q - 16}, three to a short), so Q5_K's integer loops serve unchanged.
 * The float step: a block's chains times {@code d·d_x} (Q5_0's value is {@code d·(q - 16)}); Q5_1's value
 * {@code d·q + m} adds {@code (16·d + m)} times the block's {@code d_x·Σq_x}.
 */
final class LegacyQ5LaneKernels extends Q5_KLaneKernels {
    private final boolean mins;

    private LegacyQ5LaneKernels(DType type, MemorySegment repacked, WeightKernels file) {
        super(type, repacked, file, type == DType.Q5_1 ? KQuantLanes.Q5_1_GROUP_BYTES : KQuantLanes.Q5_0_GROUP_BYTES, Q8Activations.Layout.Q5_0);
        this.mins = type == DType.Q5_1;
    }

    /** The kernels of the Q5_0 or Q5_1 tensor {@code w}, repacked on first use over {@code pool}'s threads; {@code file}: the kernels of the file's layout, for decoding rows. */
    static LaneTiles of(Tensor w, WeightKernels file, WorkerPool pool) {
        return LaneTiles.of(w, t -> new LegacyQ5LaneKernels(t.dtype(),
                KQuantLanes.q5Legacy(t.segment(), t.rows(), t.cols(), pool, t.dtype() == DType.Q5_1), file));
    }


    /**
     * Per weight row of the pair, its three chains widened to ints and added (an int lane holds two blocks, the even one
     * in its low half), times {@code d·d_x}; Q5_1 then its offsets. The F16 d and m of two blocks per int lane, each to
     * a float exactly (bits moved into a float's, times 2^112).
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
                    int at = ((g * PARTS + part) * SLOTS + 6 * unit + 3 * side) * LS;
                    IntVector c0 = (IntVector) ShortVector.fromArray(S, sums, at).reinterpretAsInts();
                    IntVector c1 = (IntVector) ShortVector.fromArray(S, sums, at + LS).reinterpretAsInts();
                    IntVector c2 = (IntVector) ShortVector.fromArray(S, sums, at + 2 * LS).reinterpretAsInts();
                    IntVector even = c0.lanewise(LSHL, 16).lanewise(ASHR, 16).add(c1.lanewise(LSHL, 16).lanewise(ASHR, 16))
                            .add(c2.lanewise(LSHL, 16).lanewise(ASHR, 16));
                    IntVector odd = c0.lanewise(ASHR, 16).add(c1.lanewise(ASHR, 16)).add(c2.lanewise(ASHR, 16));
                    IntVector h = IntVector.fromMemorySegment(I, w, o, BlockLoads.LE);
                    FloatVector dEven = h.and(0x7FFF).lanewise(LSHL, 13).or(h.and(0x8000).lanewise(LSHL, 16)).reinterpretAsFloats().mul(P112);
                    FloatVector dOdd = h.lanewise(LSHR, 3).and(0x7FFF << 13).or(h.and(0x80000000)).reinterpretAsFloats().mul(P112);
                    FloatVector sum = side == 0 ? aSum : bSum;
                    sum = even.convert(I2F, 0).reinterpretAsFloats().fma(dEven.mul(xEven), sum);
                    sum = odd.convert(I2F, 0).reinterpretAsFloats().fma(dOdd.mul(xOdd), sum);
                    if (mins) {
                        IntVector m = IntVector.fromMemorySegment(I, w, o + KQuantLanes.Q5_1_MINS, BlockLoads.LE);
                        FloatVector mEven = m.and(0x7FFF).lanewise(LSHL, 13).or(m.and(0x8000).lanewise(LSHL, 16)).reinterpretAsFloats().mul(P112);
                        FloatVector mOdd = m.lanewise(LSHR, 3).and(0x7FFF << 13).or(m.and(0x80000000)).reinterpretAsFloats().mul(P112);
                        sum = dEven.mul(16f).add(mEven).fma(sEven, dOdd.mul(16f).add(mOdd).fma(sOdd, sum));
                    }
                    aSum = side == 0 ? sum : aSum;
                    bSum = side == 0 ? bSum : sum;
                }
            }
        }
        aSum.intoArray(lanes, acc * L); // lane sums through memory: an inlined butterfly pushes C2 past its node cut-off
        bSum.intoArray(lanes, (acc + 1) * L);
    }
}
