package dev.tandem.core.cpu;

import static dev.tandem.core.cpu.WideRuns.FIRST_TWICE;
import static dev.tandem.core.cpu.WideRuns.SECOND_TWICE;
import static dev.tandem.core.cpu.WideRuns.WIDE;
import static dev.tandem.core.cpu.WideRuns.halves;

import dev.tandem.core.DType;
import dev.tandem.core.codec.Q3_KCodec;
import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.VectorOperators;

/**
 * Q3_K weights (most of a Q3_K_M file): 110-byte super-blocks of 32 bytes of third bits (hmask), 64 bytes of two
 * low bits (qs), 12 bytes of 6-bit scales and d; 16 groups of 16 values, each {@code d·(s - 32)·(q - 4)} with q's
 * third bit from hmask. Unpacked to int8 once per weight row ({@link UnpackedInt8Kernels}), the products and their
 * order those of {@link Q3_KCodec} ({@code q - 4} times {@code d·(s - 32)}, bit for bit).
 */
final class Q3_KKernels extends UnpackedInt8Kernels {
    Q3_KKernels() {
        super(DType.Q3_K);
    }

    /**
     * The integers {@code q - 4} and the scales {@code d·(s - 32)}. Run t (values 32t..32t+31, groups 2t and 2t + 1)
     * is bit pair t % 4 of the 32 qs bytes of half t / 4, less 4 where bit t of the 32 hmask bytes is clear: a shift
     * and a mask of qs, a rotation (bringing bit t of every byte to bit 2 of the same byte, on 32-bit lanes: x86 has
     * no byte-lane shifts) and a mask of the inverted hmask, and a byte subtraction.
     */
    @Override
    void unpack(MemorySegment w, long row, int blocks, byte[] q3, int at, float[] scales, int sAt) {
        for (int blk = 0; blk < blocks; blk++) {
            long o = row + 110L * blk;
            float d = BlockLoads.scale(w, o + 108);
            scales(w, o + 96, d, scales, sAt + 16 * blk);
            if (VectorMath.L == 16) { // runs 2i and 2i + 1 at once (WideRuns)
                int y = at + 256 * blk;
                IntVector qs = IntVector.fromMemorySegment(WIDE, w, o + 32, BlockLoads.LE);
                IntVector cl = IntVector.fromMemorySegment(WIDE, w, o, BlockLoads.LE).not().rearrange(FIRST_TWICE);
                IntVector h = qs.rearrange(FIRST_TWICE);
                h.lanewise(VectorOperators.LSHR, SHIFT_01).and(0x03030303).reinterpretAsBytes()
                        .sub(cl.lanewise(VectorOperators.ROL, ROT_01).and(0x04040404).reinterpretAsBytes()).intoArray(q3, y);
                h.lanewise(VectorOperators.LSHR, SHIFT_23).and(0x03030303).reinterpretAsBytes()
                        .sub(cl.lanewise(VectorOperators.ROL, ROT_23).and(0x04040404).reinterpretAsBytes()).intoArray(q3, y + 64);
                h = qs.rearrange(SECOND_TWICE);
                h.lanewise(VectorOperators.LSHR, SHIFT_01).and(0x03030303).reinterpretAsBytes()
                        .sub(cl.lanewise(VectorOperators.ROL, ROT_45).and(0x04040404).reinterpretAsBytes()).intoArray(q3, y + 128);
                h.lanewise(VectorOperators.LSHR, SHIFT_23).and(0x03030303).reinterpretAsBytes()
                        .sub(cl.lanewise(VectorOperators.ROL, ROT_67).and(0x04040404).reinterpretAsBytes()).intoArray(q3, y + 192);
                continue;
            }
            IntVector clear = IntVector.fromMemorySegment(RUN, w, o, BlockLoads.LE).not();
            for (int t = 0; t < 8; t++) {
                IntVector low = IntVector.fromMemorySegment(RUN, w, o + 32 + 32L * (t >> 2), BlockLoads.LE)
                        .lanewise(VectorOperators.LSHR, 2 * (t & 3)).and(0x03030303);
                IntVector four = clear.lanewise(VectorOperators.ROL, (34 - t) & 31).and(0x04040404);
                low.reinterpretAsBytes().sub(four.reinterpretAsBytes()).intoArray(q3, at + 256 * blk + 32 * t);
            }
        }
    }

    /** Per 256-bit half, run t's shift of the bit pairs (2·(t % 4)) and rotation of the hmask ((34 - t) % 32). */
    private static final IntVector SHIFT_01 = halves(0, 2), SHIFT_23 = halves(4, 6);
    private static final IntVector ROT_01 = halves(2, 1), ROT_23 = halves(0, 31), ROT_45 = halves(30, 29), ROT_67 = halves(28, 27);

    /**
     * {@code d·(s - 32)} for the super-block's 16 six-bit scales at {@code sc}: with 16-lane vectors, the two packed
     * halves as the bytes of one vector, converted, less 32 and times d at once (the scalar loop took a tenth of the
     * one-row matmul); the same products as the codec's.
     */
    private static void scales(MemorySegment w, long sc, float d, float[] scales, int at) {
        long lo = Q3_KCodec.packedScales(w, sc, 0), hi = Q3_KCodec.packedScales(w, sc, 1);
        if (VectorMath.L == 16) {
            LongVector packed = LongVector.zero(LongVector.SPECIES_128).withLane(0, lo).withLane(1, hi);
            BlockLoads.bytesToFloats(packed.reinterpretAsBytes()).sub(32).mul(d).intoArray(scales, at);
        } else {
            for (int i = 0; i < 8; i++) {
                scales[at + i] = d * (GroupScaledKernels.six(lo, i) - 32);
                scales[at + 8 + i] = d * (GroupScaledKernels.six(hi, i) - 32);
            }
        }
    }

}
