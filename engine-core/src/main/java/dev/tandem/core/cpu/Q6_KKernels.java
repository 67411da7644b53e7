package dev.tandem.core.cpu;

import static dev.tandem.core.cpu.WideRuns.FIRST_TWICE;
import static dev.tandem.core.cpu.WideRuns.SECOND_TWICE;
import static dev.tandem.core.cpu.WideRuns.WIDE;
import static dev.tandem.core.cpu.WideRuns.halves;

import dev.tandem.core.DType;
import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;

/**
 * Q6_K weights (the classifier, and some attention and feed-forward matrices, of Q4_K_M/Q5_K_M files): 210-byte
 * super-blocks of 128 bytes of low nibbles, 64 of high bit pairs, 16 int8 scales (one per 16 values, in value
 * order) and d; each value {@code d·sc·(q - 32)}. Unpacked to int8 once per weight row ({@link UnpackedInt8Kernels}):
 * where cutting the integers out L at a time took two loads, a shift, a rotation, two masks, an or and a
 * subtraction for every L values, for every batch row.
 */
final class Q6_KKernels extends UnpackedInt8Kernels {
    Q6_KKernels() {
        super(DType.Q6_K);
    }

    /**
     * The integers {@code q - 32}, and {@code d} times the int8 scales. Half h's value 32k + l (k = 0..3, l = 0..31)
     * is the low (k < 2) or high nibble of byte 32(k % 2) + l of its 64 bytes of nibbles, with bits 2k and 2k + 1 of
     * byte l of its 32 bytes of high bits as bits 4 and 5: 32 values take a shift and a mask of the nibbles, a
     * rotation (by 4 - 2k, on 32-bit lanes: x86 has no byte-lane shifts; the masks drop what crosses bytes) and a
     * mask of the high bits, an or and a subtraction. One loop body for the eight runs of 32: written out, the vector
     * operations passed C2's node cut-off and were boxed.
     */
    @Override
    void unpack(MemorySegment w, long row, int blocks, byte[] q6, int at, float[] scales, int sAt) {
        for (int blk = 0; blk < blocks; blk++) {
            long o = row + 210L * blk;
            float d = BlockLoads.scale(w, o + 208);
            for (int s = 0; s < 16; s += VectorMath.L) {
                BlockLoads.int8s(w, o + 192 + s).mul(d).intoArray(scales, sAt + 16 * blk + s);
            }
            if (VectorMath.L == 16) { // 64 values at a time (WideRuns): a half's nibbles, then its high nibbles
                int y = at + 256 * blk;
                IntVector qh = IntVector.fromMemorySegment(WIDE, w, o + 128, BlockLoads.LE);
                IntVector ql = IntVector.fromMemorySegment(WIDE, w, o, BlockLoads.LE);
                IntVector h = qh.rearrange(FIRST_TWICE);
                ql.and(0x0F0F0F0F).or(h.lanewise(VectorOperators.ROL, ROT_01).and(0x30303030))
                        .reinterpretAsBytes().sub((byte) 32).intoArray(q6, y);
                ql.lanewise(VectorOperators.LSHR, 4).and(0x0F0F0F0F).or(h.lanewise(VectorOperators.ROL, ROT_23).and(0x30303030))
                        .reinterpretAsBytes().sub((byte) 32).intoArray(q6, y + 64);
                ql = IntVector.fromMemorySegment(WIDE, w, o + 64, BlockLoads.LE);
                h = qh.rearrange(SECOND_TWICE);
                ql.and(0x0F0F0F0F).or(h.lanewise(VectorOperators.ROL, ROT_01).and(0x30303030))
                        .reinterpretAsBytes().sub((byte) 32).intoArray(q6, y + 128);
                ql.lanewise(VectorOperators.LSHR, 4).and(0x0F0F0F0F).or(h.lanewise(VectorOperators.ROL, ROT_23).and(0x30303030))
                        .reinterpretAsBytes().sub((byte) 32).intoArray(q6, y + 192);
                continue;
            }
            for (int t = 0; t < 8; t++) { // run t: half t / 4, quarter k = t % 4
                int half = t >> 2, k = t & 3;
                IntVector lo = IntVector.fromMemorySegment(RUN, w, o + 64L * half + 32 * (k & 1), BlockLoads.LE)
                        .lanewise(VectorOperators.LSHR, (k & 2) << 1).and(0x0F0F0F0F);
                IntVector hi = IntVector.fromMemorySegment(RUN, w, o + 128 + 32L * half, BlockLoads.LE)
                        .lanewise(VectorOperators.ROL, (4 - 2 * k) & 31).and(0x30303030);
                lo.or(hi).reinterpretAsBytes().sub((byte) 32).intoArray(q6, at + 256 * blk + 32 * t);
            }
        }
    }

    /** Rotations that bring bits 2k, 2k + 1 to bits 4, 5: quarters 0 and 1 (values 0..63), then 2 and 3 (64..127). */
    private static final IntVector ROT_01 = halves(4, 2), ROT_23 = halves(0, 30);

}
