package dev.tandem.core.cpu;

import static dev.tandem.core.cpu.VectorMath.F;
import static dev.tandem.core.cpu.VectorMath.L;

import dev.tandem.core.DType;
import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;

/** Q8_0 weights: vector decode, a one-row kernel over four weight rows, and the k-row tiles ({@link FusedTiles}). */
final class Q8_0Kernels extends WeightKernels {
    Q8_0Kernels() {
        super(DType.Q8_0, 4);
    }

    /**
     * From this many rows on, tiles decode into a buffer once instead of once per group of four rows:
     * measured on the inflated TinyLlama-1.1B at 2 threads, re-decoding is faster up to 8 rows (4.65x vs
     * 5.24x one row), the buffer at 16 (7.3x vs 9.2x).
     */
    static final int WIDE = Integer.getInteger("tandem.q8.wide", 12);

    @Override
    void range(float[] out, float[] x, int rows, MemorySegment w, int n, int d, int j0, int j1) {
        if (rows >= 2 && BlockLoads.VECTOR_BLOCKS) {
            tiles(out, x, rows, w, n, d, j0, j1);
        } else {
            super.range(out, x, rows, w, n, d, j0, j1);
        }
    }


    @Override
    void decodeVector(MemorySegment w, long row, int n, float[] buf, int b) {
        for (int blk = 0; blk < n / 32; blk++) {
            long o = row + 34L * blk;
            FloatVector dv = FloatVector.broadcast(F, BlockLoads.leadingScale(w, o));
            for (int e = 0; e < 32; e += L) {
                BlockLoads.q8(w, o, e, dv).intoArray(buf, b + 32 * blk + e);
            }
        }
    }

    @Override
    void fused(float[] out, float[] x, int r, MemorySegment w, long rowBytes, int n, int d, int j, int q) {
        long w0 = j * rowBytes, w1 = w0 + q * rowBytes, w2 = w1 + q * rowBytes, w3 = w2 + q * rowBytes;
        int xo = r * n;
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        for (int b = 0; b < n / 32; b++) {
            long o = 34L * b;
            FloatVector d0 = FloatVector.broadcast(F, BlockLoads.leadingScale(w, w0 + o));
            FloatVector d1 = FloatVector.broadcast(F, BlockLoads.leadingScale(w, w1 + o));
            FloatVector d2 = FloatVector.broadcast(F, BlockLoads.leadingScale(w, w2 + o));
            FloatVector d3 = FloatVector.broadcast(F, BlockLoads.leadingScale(w, w3 + o));
            for (int e = 0; e < 32; e += L) {
                FloatVector v = FloatVector.fromArray(F, x, xo + 32 * b + e);
                a0 = BlockLoads.q8(w, w0 + o, e, d0).fma(v, a0);
                a1 = BlockLoads.q8(w, w1 + o, e, d1).fma(v, a1);
                a2 = BlockLoads.q8(w, w2 + o, e, d2).fma(v, a2);
                a3 = BlockLoads.q8(w, w3 + o, e, d3).fma(v, a3);
            }
        }
        VectorMath.sum4(out, r * d + j, q, a0, a1, a2, a3);
    }

    /**
     * Q8_0 verification (2+ rows): below {@link #WIDE} rows, groups of two to five batch rows each decode the
     * weights in registers; from {@link #WIDE} rows, the first group also stores them and the rest read that
     * buffer. A separate method from the decode path's {@link WeightKernels#range}, so that path's compiled code stays as it was.
     */
    private void tiles(float[] out, float[] x, int rows, MemorySegment w, int n, int d, int j0, int j1) {
        long rowBytes = DType.Q8_0.byteSize(n);
        int s = DecodedMatmul.stride(n);
        int q = (j1 - j0) / 4;
        boolean wide = rows >= WIDE;
        // the buffer only where it is read: with four pool chunks a share (-Dtandem.pool.split=4), so four calls
        // where there was one, zeroing 32 KB a call took a 4-row pass from 51-53 ms to 56-67
        float[] buf = wide ? new float[4 * s] : null;
        float[] lanes = new float[Math.max(20 * L, DecodedMatmul.LANES)];
        for (int j = j0; j < j0 + q; j++) {
            int r = 0;
            if (wide) { // decode once into buf, then the remaining groups from L1/L2 without decoding
                FusedTiles.q8x4Stored(out, x, 0, w, rowBytes, n, d, j, q, buf, s, lanes);
                DecodedMatmul.rows(out, x, 4, rows, buf, s, n, d, j, q, lanes);
                continue;
            }
            // groups of five or four (the weight rows' blocks stay in L1 for the next group), as few as cover the
            // rows (ceil(rows / 5)), ending in 2 or 3 rows: never a lone row, whose kernel is the decode path's
            // (sharing it changed how C2 compiled that path)
            int left;
            while ((left = rows - r) >= 2) {
                if (left >= 4 * ((left + 4) / 5) + 1) {
                    FusedTiles.q8x5(out, x, r, w, rowBytes, n, d, j, q, lanes);
                    r += 5;
                } else if (left >= 4) {
                    FusedTiles.q8x4(out, x, r, w, rowBytes, n, d, j, q, lanes);
                    r += 4;
                } else if (left == 3) {
                    FusedTiles.q8x3(out, x, r, w, rowBytes, n, d, j, q, lanes);
                    r += 3;
                } else {
                    FusedTiles.q8x2(out, x, r, w, rowBytes, n, d, j, q, lanes);
                    r += 2;
                }
            }
        }
        if (j0 + 4 * q < j1) {
            tail(out, x, rows, w, rowBytes, n, d, j0 + 4 * q, j1, buf != null ? buf : new float[s]);
        }
    }
}
