package dev.tandem.core.cpu;

import static dev.tandem.core.cpu.VectorMath.F;
import static dev.tandem.core.cpu.VectorMath.L;

import dev.tandem.core.DType;
import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;

/**
 * F16 weights, widened one of two ways, both exact, so the results are the same floats either way. The Vector
 * API has no half-to-float conversion, but C2 compiles a plain loop of {@link Float#float16ToFloat} into
 * {@code vcvtph2ps} vectors, so halves are widened by such a loop into a small float buffer that stays in L1, and
 * the multiply-adds read that buffer: on the Intel Xeon about 1.5x less work per value than widening with the
 * vector integer operations of a general conversion (see PERFORMANCE.md). For one to three batch rows, weights whose
 * halves are all finite, on a CPU whose FMA takes subnormal operands at full speed ({@link FiniteHalves}), are
 * widened in registers instead, by a shift and a mask to each half times 2^-112 ({@link BlockLoads#halvesDownScaled}),
 * against x·2^112 ({@link #quadScaled}), four weight rows a call, with no buffer: the same floats, 1.5x the one-row
 * speed in the cache.
 */
final class F16Kernels extends WeightKernels {
    /** Values widened at a time in the one-row kernel: two rows' chunks (4 KB of floats) stay in L1 beside x. */
    private static final int CHUNK = 512;
    /** The kernels for weights that {@link FiniteHalves} allows to widen in registers (one to three rows). */
    private static final F16Kernels MULTIPLYING = new F16Kernels(true);

    private final boolean multiply;

    /** The kernels that widen in registers, whatever this CPU: for tests. */
    static F16Kernels multiplying() {
        return MULTIPLYING;
    }

    F16Kernels() {
        this(false);
    }

    private F16Kernels(boolean multiply) {
        super(DType.F16);
        this.multiply = multiply;
    }

    @Override
    WeightKernels forWeights(dev.tandem.core.Tensor w) {
        return FiniteHalves.widenByMultiplying(w) ? MULTIPLYING : this;
    }

    /**
     * The buffer's rows (4+ batch rows, and the features left over) through {@code vcvtph2ps} whatever the CPU: the
     * in-register widening's product with 2^112 takes a subnormal operand for every subnormal half, and on the AMD EPYC
     * a multiplication with one is slow (4 rows of gaussian-like weights, ±0.035, 2 threads: 0.30-0.34 against
     * 0.41-0.44 ms; without subnormals 0.30-0.34 against 0.34-0.35; 16 rows the same; PERFORMANCE.md).
     */
    @Override
    void decodeVector(MemorySegment w, long row, int n, float[] buf, int b) {
        widen(w, row, n, buf, b);
        for (int i = n; i < DecodedMatmul.stride(n); i++) {
            buf[b + i] = 0f;
        }
    }

    /** Halves at byte {@code off} to floats at {@code buf[b..b+len)}: a loop C2 vectorizes to vcvtph2ps. */
    private static void widen(MemorySegment w, long off, int len, float[] buf, int b) {
        for (int i = 0; i < len; i++) {
            buf[b + i] = Float.float16ToFloat(w.get(BlockLoads.I16, off + 2L * i));
        }
    }

    /**
     * Decoding (1-3 rows): four weight rows at a time widened in registers ({@link #quadScaled}) where the weights
     * allow it and x scales exactly; else two at a time (features j, j + q), widened chunk by chunk.
     */
    @Override
    void range(float[] out, float[] x, int rows, MemorySegment w, int n, int d, int j0, int j1) {
        if (rows >= 4 || n % L != 0) {
            super.range(out, x, rows, w, n, d, j0, j1);
            return;
        }
        long rowBytes = DType.F16.byteSize(n);
        float[] xUp = multiply ? scaledUp(x, rows * n) : null;
        float[] buf = xUp != null ? null : new float[2 * CHUNK];
        int width = xUp != null ? 4 : 2;
        int q = (j1 - j0) / width;
        for (int j = j0; j < j0 + q; j++) {
            for (int r = 0; r < rows; r++) {
                if (xUp != null) {
                    quadScaled(out, xUp, r, w, rowBytes, n, d, j, q);
                } else {
                    pair(out, x, r, w, rowBytes, n, d, j, q, buf);
                }
            }
        }
        if (j0 + width * q < j1) {
            tail(out, x, rows, w, rowBytes, n, d, j0 + width * q, j1, new float[DecodedMatmul.stride(n)]);
        }
    }

    /** Weight rows j and j + q against batch row r: the chain {@code a = fma(w_i, x_i, a)} over vectors i in order. */
    private static void pair(float[] out, float[] x, int r, MemorySegment w, long rowBytes, int n, int d, int j, int q, float[] buf) {
        long w0 = j * rowBytes, w1 = w0 + q * rowBytes;
        int xo = r * n;
        FloatVector a0 = FloatVector.zero(F), a1 = a0;
        for (int c = 0; c < n; c += CHUNK) {
            int len = Math.min(CHUNK, n - c);
            widen(w, w0 + 2L * c, len, buf, 0);
            widen(w, w1 + 2L * c, len, buf, CHUNK);
            for (int i = 0; i < len; i += L) {
                FloatVector v = FloatVector.fromArray(F, x, xo + c + i);
                a0 = FloatVector.fromArray(F, buf, i).fma(v, a0);
                a1 = FloatVector.fromArray(F, buf, CHUNK + i).fma(v, a1);
            }
        }
        out[r * d + j] = VectorMath.sum(a0);
        out[r * d + j + q] = VectorMath.sum(a1);
    }

    /**
     * x times 2^112, for {@link #quadScaled}; null where a value would not stay finite (|x| >= 2^16, or not finite
     * itself), which then takes {@link #pair}'s widening through the buffer. Scaling by a power of two is exact short of overflow.
     */
    static float[] scaledUp(float[] x, int len) {
        float[] up = new float[len];
        float most = 0;
        for (int i = 0; i < len; i++) {
            most = Math.max(most, Math.abs(x[i]));
            up[i] = x[i] * 0x1p112f;
        }
        return most < 0x1p16f ? up : null; // a NaN fails the test as well
    }

    /**
     * Weight rows j, j + q, j + 2q and j + 3q against batch row r, the weights widened to w_i·2^-112
     * ({@link BlockLoads#halvesDownScaled}) and x scaled by 2^112: each FMA's exact product w_i 2^-112 · x_i 2^112
     * is w_i x_i, so every row's chain {@code a = fma(w_i, x_i, a)} gives the same floats as {@link #pair}'s, with one
     * operation fewer a vector, and four chains where {@link #pair} has two (as BF16's kernel).
     */
    private static void quadScaled(float[] out, float[] xUp, int r, MemorySegment w, long rowBytes, int n, int d, int j, int q) {
        long w0 = j * rowBytes, w1 = w0 + q * rowBytes, w2 = w1 + q * rowBytes, w3 = w2 + q * rowBytes;
        int xo = r * n;
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        for (int i = 0; i < n; i += L) {
            FloatVector v = FloatVector.fromArray(F, xUp, xo + i);
            a0 = BlockLoads.halvesDownScaled(w, w0 + 2L * i).fma(v, a0);
            a1 = BlockLoads.halvesDownScaled(w, w1 + 2L * i).fma(v, a1);
            a2 = BlockLoads.halvesDownScaled(w, w2 + 2L * i).fma(v, a2);
            a3 = BlockLoads.halvesDownScaled(w, w3 + 2L * i).fma(v, a3);
        }
        VectorMath.sum4(out, r * d + j, q, a0, a1, a2, a3);
    }
}
