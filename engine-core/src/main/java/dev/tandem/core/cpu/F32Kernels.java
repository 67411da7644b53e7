package dev.tandem.core.cpu;

import static dev.tandem.core.cpu.VectorMath.F;
import static dev.tandem.core.cpu.VectorMath.L;

import dev.tandem.core.DType;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;

/**
 * {@code out[r][j] = dot(w[j], x[r])} for F32 weights in a (possibly memory-mapped) segment.
 *
 * <p>Weights are the memory traffic, so the loop keeps a weight row for all batch rows (four at a time)
 * while it is in cache. Every (r, j) dot product runs the same sequence of lane-wise FMAs (the last chunk
 * masked, so there is no scalar tail) and the same butterfly sum in all three variants below: a row's
 * result never depends on the batch size or on the variant that computed it.
 */
final class F32Kernels extends WeightKernels {
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;

    F32Kernels() {
        super(DType.F32);
    }

    @Override
    void decodeVector(MemorySegment w, long row, int n, float[] buf, int b) {
        MemorySegment.copy(w, java.lang.foreign.ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(LE), row, buf, b, n);
    }

    /** Output features {@code [j0, j1)} for all rows. */
    @Override
    void range(float[] out, float[] x, int rows, MemorySegment w, int n, int d, int j0, int j1) {
        int r4 = rows / 4 * 4;
        for (int j = j0; j < j1; j++) { // a weight row stays in L1 for every group of four batch rows
            for (int r = 0; r < r4; r += 4) {
                dot4Rows(out, x, r, w, n, d, j);
            }
        }
        int r = r4;
        int q = (j1 - j0) / 4; // four weight rows from four quarters of the range: four read streams
        for (; r < rows; r++) {
            for (int j = j0; j < j0 + q; j++) {
                dot4Cols(out, x, r, w, n, d, j, q);
            }
            for (int j = j0 + 4 * q; j < j1; j++) {
                out[r * d + j] = dot(x, r * n, w, (long) j * n * 4, n);
            }
        }
    }

    private static float dot(float[] x, int xo, MemorySegment w, long wo, int n) {
        FloatVector acc = FloatVector.zero(F);
        int upper = F.loopBound(n);
        int i = 0;
        for (; i < upper; i += L) {
            acc = FloatVector.fromMemorySegment(F, w, wo + i * 4L, LE).fma(FloatVector.fromArray(F, x, xo + i), acc);
        }
        if (i < n) {
            VectorMask<Float> m = F.indexInRange(i, n);
            acc = FloatVector.fromMemorySegment(F, w, wo + i * 4L, LE, m).fma(FloatVector.fromArray(F, x, xo + i, m), acc);
        }
        return VectorMath.sum(acc);
    }

    /** One weight row against four batch rows: the weight is loaded once. */
    private static void dot4Rows(float[] out, float[] x, int r, MemorySegment w, int n, int d, int j) {
        long wo = (long) j * n * 4;
        int x0 = r * n, x1 = x0 + n, x2 = x1 + n, x3 = x2 + n;
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        int upper = F.loopBound(n);
        int i = 0;
        for (; i < upper; i += L) {
            FloatVector wv = FloatVector.fromMemorySegment(F, w, wo + i * 4L, LE);
            a0 = wv.fma(FloatVector.fromArray(F, x, x0 + i), a0);
            a1 = wv.fma(FloatVector.fromArray(F, x, x1 + i), a1);
            a2 = wv.fma(FloatVector.fromArray(F, x, x2 + i), a2);
            a3 = wv.fma(FloatVector.fromArray(F, x, x3 + i), a3);
        }
        if (i < n) {
            VectorMask<Float> m = F.indexInRange(i, n);
            FloatVector wv = FloatVector.fromMemorySegment(F, w, wo + i * 4L, LE, m);
            a0 = wv.fma(FloatVector.fromArray(F, x, x0 + i, m), a0);
            a1 = wv.fma(FloatVector.fromArray(F, x, x1 + i, m), a1);
            a2 = wv.fma(FloatVector.fromArray(F, x, x2 + i, m), a2);
            a3 = wv.fma(FloatVector.fromArray(F, x, x3 + i, m), a3);
        }
        VectorMath.sum4(out, r * d + j, d, a0, a1, a2, a3);
    }

    /** Weight rows j, j + q, j + 2q, j + 3q against one batch row: four independent FMA chains hide FMA latency. */
    private static void dot4Cols(float[] out, float[] x, int r, MemorySegment w, int n, int d, int j, int q) {
        long step = (long) q * n * 4;
        long w0 = (long) j * n * 4, w1 = w0 + step, w2 = w1 + step, w3 = w2 + step;
        int xo = r * n;
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        int upper = F.loopBound(n);
        int i = 0;
        for (; i < upper; i += L) {
            FloatVector xv = FloatVector.fromArray(F, x, xo + i);
            long off = i * 4L;
            a0 = FloatVector.fromMemorySegment(F, w, w0 + off, LE).fma(xv, a0);
            a1 = FloatVector.fromMemorySegment(F, w, w1 + off, LE).fma(xv, a1);
            a2 = FloatVector.fromMemorySegment(F, w, w2 + off, LE).fma(xv, a2);
            a3 = FloatVector.fromMemorySegment(F, w, w3 + off, LE).fma(xv, a3);
        }
        if (i < n) {
            VectorMask<Float> m = F.indexInRange(i, n);
            FloatVector xv = FloatVector.fromArray(F, x, xo + i, m);
            long off = i * 4L;
            a0 = FloatVector.fromMemorySegment(F, w, w0 + off, LE, m).fma(xv, a0);
            a1 = FloatVector.fromMemorySegment(F, w, w1 + off, LE, m).fma(xv, a1);
            a2 = FloatVector.fromMemorySegment(F, w, w2 + off, LE, m).fma(xv, a2);
            a3 = FloatVector.fromMemorySegment(F, w, w3 + off, LE, m).fma(xv, a3);
        }
        VectorMath.sum4(out, r * d + j, q, a0, a1, a2, a3);
    }
}
