package dev.tandem.core.cpu;

import static dev.tandem.core.cpu.VectorMath.F;
import static dev.tandem.core.cpu.VectorMath.L;

import dev.tandem.core.DType;
import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Super-block types whose value is a per-16-value scale times a small signed integer, with no mins (Q6_K:
 * {@code d·sc·(q - 32)}, Q3_K: {@code d·(sc - 32)·(q - 4)}): a weight row's integers are cut out on byte lanes
 * ({@link #unpack}) into a scratch array of int8, with the scales as floats, once per row whatever the batch, then
 * read back L at a time, converted, scaled and summed. Cutting them out in the kernels took the bit field's loads,
 * shifts and masks for every L values and every batch row, and its index arithmetic kept C2 from unrolling the
 * loop (Q3_K: about 70 instructions per two groups of two rows); from the scratch array every index is linear in
 * the group, so C2 checks the arrays' bounds once and unrolls.
 *
 * <p>Every batch row runs one chain per (row, feature), the products {@code q·scale} in value order, in {@link #pair}
 * and in {@link #decodeVector}'s path (a feature left over, or vectors too narrow for
 * byte lanes), so a row's result does not depend on the batch.
 */
abstract class UnpackedInt8Kernels extends WeightKernels {
    /** 32 bytes as 8 int lanes: a run of 32 values, one byte each, as {@link #unpack} cuts them out. */
    static final VectorSpecies<Integer> RUN = IntVector.SPECIES_256;

    UnpackedInt8Kernels(DType type) {
        super(type);
    }

    /**
     * The integers of {@code blocks} super-blocks from byte {@code row}, in value order, into {@code q8[at..]}, and
     * the 16 scales of each (one per 16 values, as the floats the codec multiplies by) into {@code scales[sAt..]}.
     */
    abstract void unpack(MemorySegment w, long row, int blocks, byte[] q8, int at, float[] scales, int sAt);

    @Override
    final void decodeVector(MemorySegment w, long row, int n, float[] buf, int b) {
        byte[] q8 = new byte[256];
        float[] scales = new float[16];
        for (int blk = 0; blk < n / 256; blk++) {
            unpack(w, row + (long) type.blockBytes() * blk, 1, q8, 0, scales, 0);
            for (int g = 0; g < 16; g++) { // by group, indices linear in g: see pair
                for (int e = 0; e < 16; e += L) {
                    BlockLoads.int8s(q8, 16 * g + e).mul(scales[g]).intoArray(buf, b + 256 * blk + 16 * g + e);
                }
            }
        }
    }

    /**
     * Each weight row pair unpacked once ({@link #unpack}), then {@link #pair} for every batch row (the float-activation
     * kernels; by default these types run their lanes, {@link LaneTiles}).
     */
    @Override
    final void range(float[] out, float[] x, int rows, MemorySegment w, int n, int d, int j0, int j1) {
        if (!BlockLoads.VECTOR_BLOCKS) {
            super.range(out, x, rows, w, n, d, j0, j1);
            return;
        }
        long rowBytes = type.byteSize(n);
        byte[] q8 = new byte[2 * n];
        float[] scales = new float[n / 8];
        float[] lanes = new float[8 * L];
        int q = (j1 - j0) / 2;
        for (int j = j0; j < j0 + q; j++) {
            for (int t = 0; t < 2; t++) { // one call site, so C2 inlines the unpacking once
                unpack(w, (j + t * q) * rowBytes, n / 256, q8, t * n, scales, t * (n / 16));
            }
            for (int r = 0; r < rows; r++) {
                pair(out, x, r, n, d, j, q, q8, scales, lanes);
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
    private static void pair(float[] out, float[] x, int r, int n, int d, int j, int q, byte[] q8, float[] scales,
                             float[] lanes) {
        int xo = r * n, s1 = n / 16;
        FloatVector a0 = FloatVector.zero(F), a1 = a0;
        for (int g = 0; g < n / 16; g++) {
            float sc0 = scales[g], sc1 = scales[s1 + g];
            for (int e = 0; e < 16; e += L) {
                int c = 16 * g + e;
                FloatVector v = FloatVector.fromArray(F, x, xo + c);
                a0 = BlockLoads.int8s(q8, c).mul(sc0).fma(v, a0);
                a1 = BlockLoads.int8s(q8, n + c).mul(sc1).fma(v, a1);
            }
        }
        a0.intoArray(lanes, 0);
        a1.intoArray(lanes, L);
        VectorMath.laneSums(lanes, 2);
        out[r * d + j] = lanes[0];
        out[r * d + j + q] = lanes[1];
    }

}
