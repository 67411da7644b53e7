package dev.tandem.core.cpu;

import static dev.tandem.core.cpu.VectorMath.F;
import static dev.tandem.core.cpu.VectorMath.L;

import dev.tandem.core.DType;
import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Q6_K weights (the classifier, and some attention and feed-forward matrices, of Q4_K_M/Q5_K_M files): 210-byte
 * super-blocks of 128 bytes of low nibbles, 64 of high bit pairs, 16 int8 scales (one per 16 values, in value
 * order) and d. A weight row's 6-bit integers are cut out 32 at a time on byte lanes ({@link #unpack}) into a
 * scratch array with its scales, once per row whatever the batch, then read back L at a time, converted, scaled
 * and summed: where cutting them out L at a time took two loads, a shift, a rotation, two masks, an or and a
 * subtraction for every L values, for every batch row.
 */
final class Q6_KKernels extends WeightKernels {
    /** 32 bytes as 8 int lanes: a run of 32 values, one byte each. */
    private static final VectorSpecies<Integer> I8 = IntVector.SPECIES_256;

    Q6_KKernels() {
        super(DType.Q6_K);
    }

    @Override
    void decodeVector(MemorySegment w, long row, int n, float[] buf, int b) {
        byte[] q6 = new byte[256];
        float[] scales = new float[16];
        for (int blk = 0; blk < n / 256; blk++) {
            unpack(w, row + 210L * blk, 1, q6, 0, scales, 0);
            for (int g = 0; g < 16; g++) { // by group, indices linear in g: see pair
                for (int e = 0; e < 16; e += L) {
                    BlockLoads.int8s(q6, 16 * g + e).mul(scales[g]).intoArray(buf, b + 256 * blk + 16 * g + e);
                }
            }
        }
    }

    /**
     * The integers {@code q - 32} of {@code blocks} super-blocks from byte {@code row}, in value order, into
     * {@code q6[at..]}, and {@code d} times their int8 scales into {@code scales[sAt..]} (one per 16 values).
     * Half h's value 32k + l (k = 0..3, l = 0..31) is the low (k < 2) or high nibble of byte 32(k % 2) + l of its
     * 64 bytes of nibbles, with bits 2k and 2k + 1 of byte l of its 32 bytes of high bits as bits 4 and 5: 32
     * values take a shift and a mask of the nibbles, a rotation (by 4 - 2k, on 32-bit lanes: x86 has no byte-lane
     * shifts; the masks drop what crosses bytes) and a mask of the high bits, an or and a subtraction. One loop
     * body for the eight runs of 32: written out, the vector operations passed C2's node cut-off and were boxed.
     */
    static void unpack(MemorySegment w, long row, int blocks, byte[] q6, int at, float[] scales, int sAt) {
        for (int blk = 0; blk < blocks; blk++) {
            long o = row + 210L * blk;
            float d = BlockLoads.scale(w, o + 208);
            for (int s = 0; s < 16; s += L) {
                BlockLoads.int8s(w, o + 192 + s).mul(d).intoArray(scales, sAt + 16 * blk + s);
            }
            for (int t = 0; t < 8; t++) { // run t: half t / 4, quarter k = t % 4
                int half = t >> 2, k = t & 3;
                IntVector lo = IntVector.fromMemorySegment(I8, w, o + 64L * half + 32 * (k & 1), BlockLoads.LE)
                        .lanewise(VectorOperators.LSHR, (k & 2) << 1).and(0x0F0F0F0F);
                IntVector hi = IntVector.fromMemorySegment(I8, w, o + 128 + 32L * half, BlockLoads.LE)
                        .lanewise(VectorOperators.ROL, (4 - 2 * k) & 31).and(0x30303030);
                lo.or(hi).reinterpretAsBytes().sub((byte) 32).intoArray(q6, at + 256 * blk + 32 * t);
            }
        }
    }

    /**
     * One to three batch rows: each weight row pair unpacked once ({@link #unpack}), then {@link #pair2} for the first
     * two batch rows and {@link #pair} for a third.
     */
    @Override
    void range(float[] out, float[] x, int rows, MemorySegment w, int n, int d, int j0, int j1) {
        if (rows >= 4 || !BlockLoads.VECTOR_BLOCKS) {
            super.range(out, x, rows, w, n, d, j0, j1);
            return;
        }
        long rowBytes = type.byteSize(n);
        byte[] q6 = new byte[2 * n];
        float[] scales = new float[n / 8];
        float[] lanes = new float[4 * L];
        int q = (j1 - j0) / 2;
        for (int j = j0; j < j0 + q; j++) {
            for (int t = 0; t < 2; t++) { // one call site, so C2 inlines the unpacking once
                unpack(w, (j + t * q) * rowBytes, n / 256, q6, t * n, scales, t * (n / 16));
            }
            int r = 0;
            if (rows >= 2) {
                pair2(out, x, n, d, j, q, q6, scales, lanes);
                r = 2;
            }
            for (; r < rows; r++) {
                pair(out, x, r, n, d, j, q, q6, scales, lanes);
            }
        }
        if (j0 + 2 * q < j1) {
            tail(out, x, rows, w, rowBytes, n, d, j0 + 2 * q, j1, new float[DecodedMatmul.stride(n)]);
        }
    }

    /**
     * Two unpacked weight rows (features j, j + q) against batch row r, chunks in value order. The loop runs over the
     * 16-value groups, so that every index is linear in the loop variable and C2 checks the arrays' bounds once
     * (indexed by {@code c >> 4}, the scales were checked at every chunk, and the loop ran 1.5x slower).
     */
    private static void pair(float[] out, float[] x, int r, int n, int d, int j, int q, byte[] q6, float[] scales,
                             float[] lanes) {
        int xo = r * n, s1 = n / 16;
        FloatVector a0 = FloatVector.zero(F), a1 = a0;
        for (int g = 0; g < n / 16; g++) {
            float sc0 = scales[g], sc1 = scales[s1 + g];
            for (int e = 0; e < 16; e += L) {
                int c = 16 * g + e;
                FloatVector v = FloatVector.fromArray(F, x, xo + c);
                a0 = BlockLoads.int8s(q6, c).mul(sc0).fma(v, a0);
                a1 = BlockLoads.int8s(q6, n + c).mul(sc1).fma(v, a1);
            }
        }
        a0.intoArray(lanes, 0);
        a1.intoArray(lanes, L);
        out[r * d + j] = VectorMath.sumStored(lanes, 0);
        out[r * d + j + q] = VectorMath.sumStored(lanes, L);
    }

    /**
     * {@link #pair} for batch rows 0 and 1 at once: each scaled weight vector made once for both (a weight's
     * conversion and scaling cost what its two FMAs do), the same chains.
     */
    private static void pair2(float[] out, float[] x, int n, int d, int j, int q, byte[] q6, float[] scales, float[] lanes) {
        int s1 = n / 16;
        FloatVector a00 = FloatVector.zero(F), a01 = a00, a10 = a00, a11 = a00;
        for (int g = 0; g < n / 16; g++) {
            float sc0 = scales[g], sc1 = scales[s1 + g];
            for (int e = 0; e < 16; e += L) {
                int c = 16 * g + e;
                FloatVector w0 = BlockLoads.int8s(q6, c).mul(sc0), w1 = BlockLoads.int8s(q6, n + c).mul(sc1);
                FloatVector v = FloatVector.fromArray(F, x, c);
                a00 = w0.fma(v, a00); a01 = w1.fma(v, a01);
                v = FloatVector.fromArray(F, x, n + c);
                a10 = w0.fma(v, a10); a11 = w1.fma(v, a11);
            }
        }
        a00.intoArray(lanes, 0); a01.intoArray(lanes, L); a10.intoArray(lanes, 2 * L); a11.intoArray(lanes, 3 * L);
        GroupScaledKernels.storeTile(out, lanes, 4, j, d, q);
    }
}
