package dev.tandem.core.cpu;

import static dev.tandem.core.cpu.Q8Activations.LS;
import static jdk.incubator.vector.VectorOperators.LSHR;

import dev.tandem.core.DType;
import dev.tandem.core.Tensor;
import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.ShortVector;

/**
 * Q3_K matmuls with integer products, as llama.cpp's {@code ggml_vec_dot_q3_K_q8_K}: x quantized to int8 per 256
 * values, the weights repacked with one 16-value sub-block per 16-bit lane ({@link KQuantLanes#q3K}): Q6_K's header
 * (the scale {@code sc - 32} as its int8 scale beside the F16 d), then the 3-bit {@code q} (0..7, value {@code q - 4})
 * in nibbles. So the float steps are Q6_K's ({@link Q6_KLaneKernels#floats}, with x's offsets {@code 4·Σq_x} per half
 * of a sub-block), and a value costs a nibble's shift and mask.
 * A chain of 8 products lies within {@code 8·7·127}, no wrap-around.
 */
final class Q3_KLaneKernels extends Q6_KLaneKernels {

    private Q3_KLaneKernels(MemorySegment repacked, WeightKernels file, boolean dShifted) {
        super(DType.Q3_K, repacked, file, KQuantLanes.Q3_K_GROUP_BYTES, Q8Activations.Layout.Q3_K, dShifted);
    }

    /** The kernels of the Q3_K tensor {@code w}, repacked on first use over {@code pool}'s threads; {@code file}: the kernels of the file's layout, for decoding rows. */
    static LaneTiles of(Tensor w, WeightKernels file, WorkerPool pool) {
        return LaneTiles.of(w, t -> {
            boolean shifted = KQuantLanes.dShiftable(t.segment(), t.rows(), t.cols(), true, pool);
            return new Q3_KLaneKernels(KQuantLanes.q3K(t.segment(), t.rows(), t.cols(), shifted, pool), file, shifted);
        });
    }


    /** Slots per part: unit 0's chains 0 and 1 of row a, then of row b. */
    @Override
    void ints1(Q8Activations a, int r, long wa, long wb, short[] sums) {
        MemorySegment w = repacked;
        for (int g = 0; g < a.groups; g++) {
            for (int part = 0; part < PARTS; part++) {
                long oa = wa + (long) g * groupBytes + 2L * LS * part, ob = wb + (long) g * groupBytes + 2L * LS * part;
                int xi = (r * a.groups + g) * GROUP_VALUES + LS * part, at = (g * PARTS + part) * SLOTS * LS;
                for (int c = 0; c < 2; c++) { // chain c: values 8c .. 8c + 7 of every sub-block
                    ShortVector sa = ShortVector.zero(S), sb = sa;
                    for (int p = 0; p < positions; p++) { // position 2c + p: values 8c + 4p + j in bits 4j .. 4j + 2
                        ShortVector va = ShortVector.fromMemorySegment(S, w, oa + 64L * (2 * c + p + 1), BlockLoads.LE);
                        ShortVector vb = ShortVector.fromMemorySegment(S, w, ob + 64L * (2 * c + p + 1), BlockLoads.LE);
                        int xv = xi + 32 * (8 * c + 4 * p);
                        for (int j = 0; j < 4; j++) { // C2 unrolls it: the shift is a constant of each copy
                            ShortVector u = ShortVector.fromArray(S, a.q, xv + 32 * j);
                            sa = sa.add(va.lanewise(LSHR, 4 * j).and((short) 0xF).mul(u));
                            sb = sb.add(vb.lanewise(LSHR, 4 * j).and((short) 0xF).mul(u));
                        }
                    }
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
                    ShortVector sa = ShortVector.zero(S), sb = sa, sc = sa, se = sa; // (a, r), (b, r), (a, r + 1), (b, r + 1)
                    for (int p = 0; p < positions; p++) {
                        ShortVector va = ShortVector.fromMemorySegment(S, w, oa + 64L * (2 * c + p + 1), BlockLoads.LE);
                        ShortVector vb = ShortVector.fromMemorySegment(S, w, ob + 64L * (2 * c + p + 1), BlockLoads.LE);
                        int xv = xi + 32 * (8 * c + 4 * p);
                        for (int j = 0; j < 4; j++) { // C2 unrolls it: the shift is a constant of each copy
                            ShortVector qa = va.lanewise(LSHR, 4 * j).and((short) 0xF), qb = vb.lanewise(LSHR, 4 * j).and((short) 0xF);
                            ShortVector u = ShortVector.fromArray(S, a.q, xv + 32 * j), v = ShortVector.fromArray(S, a.q, xv + 32 * j + next);
                            sa = sa.add(qa.mul(u));
                            sb = sb.add(qb.mul(u));
                            sc = sc.add(qa.mul(v));
                            se = se.add(qb.mul(v));
                        }
                    }
                    sa.intoArray(sums, at + c * LS);
                    sb.intoArray(sums, at + (2 + c) * LS);
                    sc.intoArray(sums, at + (4 + c) * LS);
                    se.intoArray(sums, at + (6 + c) * LS);
                }
            }
        }
    }
}
