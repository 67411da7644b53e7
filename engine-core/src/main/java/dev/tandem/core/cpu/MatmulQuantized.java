package dev.tandem.core.cpu;

import static dev.tandem.core.cpu.VectorMath.F;
import static dev.tandem.core.cpu.VectorMath.L;

import dev.tandem.core.DType;
import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;

/**
 * {@code out[r][j] = dot(w[j], x[r])} for F16, BF16, Q8_0 and Q4_0 weights. Four weight rows at a time are
 * decoded once into a small float buffer, then multiplied with every batch row: each weight byte is read
 * from memory once per call, whatever the number of rows (k = 1..64).
 */
final class MatmulQuantized {
    private MatmulQuantized() {}

    /**
     * Output features {@code [j0, j1)} for all rows. The four weight rows decoded together come from the four
     * quarters of the range: four sequential streams per thread keep more memory reads in flight than one
     * (measured: 31 vs 24 GB/s on two threads).
     */
    static void range(DType type, float[] out, float[] x, int rows, MemorySegment w, int n, int d, int j0, int j1) {
        long rowBytes = type.byteSize(n);
        int s = DecodedMatmul.stride(n);
        // decoding (1-3 rows): weights decoded in registers, no buffer round trip, and no buffer allocated
        // unless rows are left over (a decode step would otherwise zero ~100 KB per matmul and thread)
        boolean fusedPath = rows < 4 && hasFusedKernel(type) && (type.quantized() ? BlockLoads.VECTOR_BLOCKS : n % L == 0);
        int width = type == DType.Q4_0 || type == DType.F16 || type == DType.Q4_K ? 2 : 4; // weight rows per fused kernel call
        int qf = (j1 - j0) / width;
        for (int j = j0; j < j0 + qf && fusedPath; j++) {
            for (int r = 0; r < rows; r++) {
                fused(type, out, x, r, w, rowBytes, n, d, j, qf);
            }
        }
        if (fusedPath) {
            if (j0 + width * qf < j1) {
                tail(type, out, x, rows, w, rowBytes, n, d, j0 + width * qf, j1, new float[s]);
            }
            return;
        }
        float[] buf = new float[4 * s];
        float[] lanes = new float[16 * L];
        int q = (j1 - j0) / 4;
        for (int j = j0; j < j0 + q; j++) {
            for (int g = 0; g < 4; g++) {
                decodeRow(type, w, (j + g * q) * rowBytes, n, buf, g * s);
            }
            int r = 0;
            for (; r + 4 <= rows; r += 4) {
                DecodedMatmul.dot4x4(out, x, r, buf, s, n, d, j, q, lanes);
            }
            for (; r < rows; r++) {
                DecodedMatmul.dot4x1(out, x, r, buf, s, n, d, j, q);
            }
        }
        tail(type, out, x, rows, w, rowBytes, n, d, j0 + 4 * q, j1, buf);
    }

    /**
     * From this many rows on, Q8_0 tiles decode into a buffer once instead of once per group of four rows:
     * measured on the inflated TinyLlama-1.1B at 2 threads, re-decoding is faster up to 8 rows (4.65x vs
     * 5.24x one row), the buffer at 16 (7.3x vs 9.2x).
     */
    static final int WIDE = Integer.getInteger("tandem.q8.wide", 12);

    /**
     * Q8_0 verification (2+ rows): below {@link #WIDE} rows, groups of two to four batch rows each decode the
     * weights in registers; from {@link #WIDE} rows, the first group also stores them and the rest read that
     * buffer. Separate from {@link #range} so that the decode path's compiled code stays as it was.
     */
    static void q8Tiles(float[] out, float[] x, int rows, MemorySegment w, int n, int d, int j0, int j1) {
        long rowBytes = DType.Q8_0.byteSize(n);
        int s = DecodedMatmul.stride(n);
        float[] buf = new float[4 * s];
        float[] lanes = new float[16 * L];
        int q = (j1 - j0) / 4;
        boolean wide = rows >= WIDE;
        for (int j = j0; j < j0 + q; j++) {
            int r = 0;
            if (wide) { // decode once into buf, then the remaining groups from L1/L2 without decoding
                FusedTiles.q8x4(out, x, 0, w, rowBytes, n, d, j, q, buf, s, true, lanes);
                for (r = 4; r + 4 <= rows; r += 4) {
                    DecodedMatmul.dot4x4(out, x, r, buf, s, n, d, j, q, lanes);
                }
                for (; r < rows; r++) {
                    DecodedMatmul.dot4x1(out, x, r, buf, s, n, d, j, q);
                }
                continue;
            }
            // groups of four (the weight rows' blocks stay in L1 for the next group), ending in 2, 3 or 3 + 2 rows:
            // never a lone row, whose kernel is the decode path's (sharing it changed how C2 compiled that path)
            for (; rows - r >= 6 || rows - r == 4; r += 4) {
                FusedTiles.q8x4(out, x, r, w, rowBytes, n, d, j, q, buf, s, false, lanes);
            }
            if (rows - r == 5 || rows - r == 3) {
                FusedTiles.q8x3(out, x, r, w, rowBytes, n, d, j, q, lanes);
                r += 3;
            }
            if (rows - r == 2) {
                FusedTiles.q8x2(out, x, r, w, rowBytes, n, d, j, q, lanes);
            }
        }
        tail(DType.Q8_0, out, x, rows, w, rowBytes, n, d, j0 + 4 * q, j1, buf);
    }

    /** Features {@code [j0, j1)} one at a time (the few left over by the grouped loops). */
    private static void tail(DType type, float[] out, float[] x, int rows, MemorySegment w, long rowBytes, int n, int d,
                             int j0, int j1, float[] buf) {
        for (int j = j0; j < j1; j++) {
            decodeRow(type, w, j * rowBytes, n, buf, 0);
            for (int r = 0; r < rows; r++) {
                out[r * d + j] = DecodedMatmul.dot1(x, r, buf, 0, n);
            }
        }
    }

    /** Types with a one-row kernel that decodes in registers ({@link #fused}); the others go through a decoded buffer. */
    private static boolean hasFusedKernel(DType type) {
        return switch (type) {
            case F16, BF16, Q8_0, Q4_0, Q4_K -> true;
            default -> false;
        };
    }

    private static void fused(DType type, float[] out, float[] x, int r, MemorySegment w, long rowBytes, int n, int d, int j, int q) {
        switch (type) {
            case Q8_0 -> FusedMatmul.q8(out, x, r, w, rowBytes, n, d, j, q);
            case Q4_0 -> FusedMatmul.q4(out, x, r, w, rowBytes, n, d, j, q);
            case F16 -> FusedMatmul.f16(out, x, r, w, rowBytes, n, d, j, q);
            case BF16 -> FusedMatmul.bf16(out, x, r, w, rowBytes, n, d, j, q);
            case Q4_K -> FusedMatmul.q4K(out, x, r, w, rowBytes, n, d, j, q);
            case F32 -> throw new IllegalArgumentException("F32 weights go through MatmulF32");
            default -> throw new IllegalStateException(type + " has no fused kernel");
        }
    }

    /** Decodes one weight row of n values at byte {@code row} into buf at {@code b}, zero-padded to whole vectors. */
    static void decodeRow(DType type, MemorySegment w, long row, int n, float[] buf, int b) {
        if (type.quantized() && !BlockLoads.VECTOR_BLOCKS) {
            dev.tandem.core.Quantization.decode(type, w, row, n, buf, b); // same values, scalar
            return;
        }
        switch (type) {
            case Q8_0 -> decodeQ8(w, row, n, buf, b);
            case Q4_0 -> decodeQ4(w, row, n, buf, b);
            case F16 -> decodeF16(w, row, n, buf, b);
            case BF16 -> decodeBF16(w, row, n, buf, b);
            case Q4_K -> KQuantDecode.q4K(w, row, n, buf, b);
            case Q5_K -> KQuantDecode.q5K(w, row, n, buf, b);
            case Q6_K -> KQuantDecode.q6K(w, row, n, buf, b);
            case F32 -> throw new IllegalArgumentException("F32 weights go through MatmulF32");
            default -> dev.tandem.core.Quantization.decode(type, w, row, n, buf, b); // no vector decoder: the scalar one
        }
    }

    // One method per type: each is compiled on its own, within C2's inlining budget.

    private static void decodeQ8(MemorySegment w, long row, int n, float[] buf, int b) {
        for (int blk = 0; blk < n / 32; blk++) {
            long o = row + 34L * blk;
            FloatVector dv = FloatVector.broadcast(F, BlockLoads.scale(w, o));
            for (int e = 0; e < 32; e += L) {
                BlockLoads.q8(w, o, e, dv).intoArray(buf, b + 32 * blk + e);
            }
        }
    }

    private static void decodeQ4(MemorySegment w, long row, int n, float[] buf, int b) {
        for (int blk = 0; blk < n / 32; blk++) {
            long o = row + 18L * blk;
            FloatVector dv = FloatVector.broadcast(F, BlockLoads.scale(w, o));
            for (int e = 0; e < 16; e += L) {
                BlockLoads.q4Low(w, o, e, dv).intoArray(buf, b + 32 * blk + e);
                BlockLoads.q4High(w, o, e, dv).intoArray(buf, b + 32 * blk + 16 + e);
            }
        }
    }

    private static void decodeF16(MemorySegment w, long row, int n, float[] buf, int b) {
        int full = n / L * L;
        for (int i = 0; i < full; i += L) {
            BlockLoads.f16(w, row + 2L * i).intoArray(buf, b + i);
        }
        if (full < n) {
            BlockLoads.f16(w, row + 2L * full, F.indexInRange(full, n)).intoArray(buf, b + full);
        }
    }

    private static void decodeBF16(MemorySegment w, long row, int n, float[] buf, int b) {
        int full = n / L * L;
        for (int i = 0; i < full; i += L) {
            BlockLoads.bf16(w, row + 2L * i).intoArray(buf, b + i);
        }
        if (full < n) {
            BlockLoads.bf16(w, row + 2L * full, F.indexInRange(full, n)).intoArray(buf, b + full);
        }
    }
}
