package dev.tandem.core.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tandem.core.DType;
import dev.tandem.core.Quantization;
import dev.tandem.core.Tensor;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Q4_0 and Q4_K against int8 activations: the arithmetic {@link Q8LaneKernels} declares, its edges, and its distance from float activations. */
class Q8LaneKernelsTest {
    /** x as the Q4_K kernels multiply it: per 256 values, {@code q = min(127, rint(x·s))} with {@code s = -127 / m}, m the first value of the largest magnitude, times {@code 1 / s}. */
    static double[] q8KRoundTrip(float[] x) {
        double[] out = new double[x.length];
        for (int b = 0; b < x.length / 256; b++) {
            float amax = 0, m = 0;
            for (int e = 0; e < 256; e++) {
                if (Math.abs(x[256 * b + e]) > amax) {
                    amax = Math.abs(x[256 * b + e]);
                    m = x[256 * b + e];
                }
            }
            float s = amax != 0 ? -127f / m : 0, d = amax != 0 ? 1 / s : 0;
            for (int e = 0; e < 256; e++) {
                out[256 * b + e] = Math.min(127, Math.rint(x[256 * b + e] * s)) * (double) d;
            }
        }
        return out;
    }

    /** x as the Q4_0 kernels multiply it: per 32-value block, {@code d·rint(x / d)} with {@code d = amax / 127}, then d rounded to an F16 (float arithmetic, as the kernel). */
    static double[] q8RoundTrip(float[] x) {
        double[] out = new double[x.length];
        for (int b = 0; b < x.length / 32; b++) {
            float amax = 0;
            for (int e = 0; e < 32; e++) {
                amax = Math.max(amax, Math.abs(x[32 * b + e]));
            }
            float d = amax / 127, id = d != 0 ? 1 / d : 0, kept = Float.float16ToFloat(Float.floatToFloat16(d));
            for (int e = 0; e < 32; e++) {
                out[32 * b + e] = Math.rint(x[32 * b + e] * id) * (double) kept;
            }
        }
        return out;
    }

    private static Tensor encode(Arena arena, DType type, float[] w, int d, int n) {
        MemorySegment seg = arena.allocate(type.byteSize((long) d * n), 64);
        for (int j = 0; j < d; j++) {
            Quantization.encode(type, w, j * n, n, seg, type.byteSize((long) j * n));
        }
        return Tensor.of(seg, type, d, n);
    }

    private static float[] random(SplittableRandom rnd, int n, double scale) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) ((rnd.nextDouble() * 2 - 1) * scale);
        }
        return v;
    }

    /** Rows of several groups of 32 blocks, the last one partial, on two threads: the declared arithmetic, to float precision. */
    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"Q4_0", "Q4_K"})
    void equalsTheDequantizedProductWithXRoundedToInt8(DType type) {
        SplittableRandom rnd = new SplittableRandom(5);
        int rows = 3, n = type == DType.Q4_K ? 2304 : 2080, d = 37; // 72 or 65 blocks: two whole groups and a part of one
        try (Arena arena = Arena.ofShared(); CpuBackend cpu = new CpuBackend(2, CpuBackend.Activations.INT8)) {
            Tensor w = encode(arena, type, random(rnd, d * n, 0.1), d, n);
            float[] x = random(rnd, rows * n, 2);
            Tensor out = cpu.allocate(rows, d);
            cpu.matmul(out, Tensor.wrap(x, rows, n), w, rows);
            MatmulQuantizedTest.assertMatchesReference(w, type == DType.Q4_K ? q8KRoundTrip(x) : q8RoundTrip(x), out, rows, type + " against x rounded to int8");
        }
    }

    /**
     * Blocks whose 16-bit sums wrap on the way (all nibbles 15 against q = 127: 32 products of 1905) or end at the
     * bound (all nibbles 0, value -8, against q = 127: -32512): the results are still the exact sums, scaled.
     */
    @Test
    void blockSumsAtTheEdgesOfSixteenBitsAreExact() {
        int n = 64, d = 2;
        try (Arena arena = Arena.ofShared(); CpuBackend cpu = new CpuBackend(1, CpuBackend.Activations.INT8)) {
            MemorySegment seg = arena.allocate(DType.Q4_0.byteSize((long) d * n), 64);
            for (int blk = 0; blk < 4; blk++) { // rows 0 and 1, two blocks each; scale 1.0
                seg.set(ValueLayout.JAVA_SHORT_UNALIGNED, 18L * blk, Float.floatToFloat16(1f));
                for (int i = 0; i < 16; i++) {
                    seg.set(ValueLayout.JAVA_BYTE, 18L * blk + 2 + i, (byte) (blk < 2 ? 0xFF : 0x00));
                }
            }
            Tensor w = Tensor.of(seg, DType.Q4_0, d, n);
            float[] x = new float[n];
            java.util.Arrays.fill(x, 3f); // amax 3: d = 3/127, every q = 127
            Tensor out = cpu.allocate(1, d);
            cpu.matmul(out, Tensor.wrap(x, 1, n), w, 1);
            float dx = Float.float16ToFloat(Float.floatToFloat16(3f / 127)); // x's scale, kept as an F16
            assertEquals(2 * (double) dx * (7 * 127 * 32), out.get(0, 0), 1e-3, "nibbles 15: value 7");
            assertEquals(2 * (double) dx * (-8 * 127 * 32), out.get(0, 1), 1e-3, "nibbles 0: value -8");
        }
    }

    /**
     * The rounding of x moves a result by at most {@code Σ_b d_b (1/2 + 127·2^-11) · Σ_{i in b} |w_i|} from float
     * activations: half a step, and d's rounding to an F16 (relative 2^-11) on values up to 127 steps.
     */
    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"Q4_0", "Q4_K"})
    void staysWithinTheRoundingBoundOfFloatActivations(DType type) {
        SplittableRandom rnd = new SplittableRandom(9);
        int rows = 2, n = 1024, d = 16;
        try (Arena arena = Arena.ofShared(); CpuBackend cpu = new CpuBackend(1, CpuBackend.Activations.INT8);
             CpuBackend exact = new CpuBackend(1, CpuBackend.Activations.FLOAT)) {
            Tensor w = encode(arena, type, random(rnd, d * n, 0.1), d, n);
            float[] x = random(rnd, rows * n, 1);
            Tensor out = cpu.allocate(rows, d);
            cpu.matmul(out, Tensor.wrap(x, rows, n), w, rows);
            Tensor floatOut = exact.allocate(rows, d);
            exact.matmul(floatOut, Tensor.wrap(x, rows, n), w, rows);
            float[] floats = concat(floatOut, rows);
            for (int j = 0; j < d; j++) {
                float[] wj = w.row(j);
                for (int r = 0; r < rows; r++) {
                    double bound = 0;
                    int span = type == DType.Q4_K ? 256 : 32; // the values that share a scale d
                    for (int b = 0; b < n / span; b++) {
                        float amax = 0;
                        double wsum = 0;
                        for (int e = 0; e < span; e++) {
                            amax = Math.max(amax, Math.abs(x[r * n + span * b + e]));
                            wsum += Math.abs(wj[span * b + e]);
                        }
                        // half a step, and d's rounding (to an F16 for Q4_0's blocks, to a float for Q4_K's) times |q| <= 127
                        bound += amax / 127.0 * (0.5 + 127 * (type == DType.Q4_K ? 0x1p-22 : 0x1p-11)) * wsum;
                    }
                    double diff = Math.abs(out.get(r, j) - floats[r * d + j]);
                    assertTrue(diff <= bound * 1.001 + 1e-5, "row " + r + " feature " + j + ": " + diff + " > " + bound);
                }
            }
        }
    }

    @Test
    void eachTensorIsRepackedOnce() {
        try (Arena arena = Arena.ofShared()) {
            Tensor w = encode(arena, DType.Q4_0, random(new SplittableRandom(3), 4 * 64, 0.1), 4, 64);
            WeightKernels first = WeightKernels.of(w, true);
            assertTrue(first instanceof Q8LaneKernels, first.getClass().getName());
            assertSame(first, WeightKernels.of(w, true));
            assertTrue(WeightKernels.of(w, false) instanceof FourBitBlockKernels, "float activations: the file's layout");
        }
    }

    private static float[] concat(Tensor t, int rows) {
        int d = t.cols();
        float[] all = new float[rows * d];
        for (int r = 0; r < rows; r++) {
            System.arraycopy(t.row(r), 0, all, r * d, d);
        }
        return all;
    }
}
