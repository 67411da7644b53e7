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

/**
 * Q4_0, Q4_1, Q5_0, Q5_1, IQ4_NL and Q2_K..Q6_K against int8 activations: the arithmetic {@link Q8LaneKernels}, {@link Q4_1LaneKernels},
 * {@link LegacyQ5LaneKernels}, {@link IQ4_NLLaneKernels}, {@link Q5_KLaneKernels},
 * {@link Q6_KLaneKernels}, {@link Q3_KLaneKernels} and {@link Q2_KLaneKernels} declare, their edges, and their distance from float activations.
 */
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

    /** The types whose matmuls round x to int8 by default (their lane kernels). */
    static final java.util.Set<DType> ROUNDING = java.util.EnumSet.of(DType.Q4_0, DType.Q4_1, DType.Q5_0, DType.Q5_1, DType.Q2_K,
            DType.Q3_K, DType.Q4_K, DType.Q5_K, DType.Q6_K);

    static {
        if (IQ4_NLLaneKernels.APPLIES) { // its residues fill a vector of 16 shorts: not with 128-bit vectors
            ROUNDING.add(DType.IQ4_NL);
        }
    }

    private static void assumeLanes(DType type) {
        org.junit.jupiter.api.Assumptions.assumeTrue(ROUNDING.contains(type), type + " keeps float activations with "
                + jdk.incubator.vector.FloatVector.SPECIES_PREFERRED.vectorBitSize() + "-bit vectors");
    }

    /** x as the lane kernels of {@code type} multiply it: per 32-value block for the 32-value types, per 256 values for the K-quants. */
    static double[] rounded(DType type, float[] x) {
        return type.blockSize() == 32 ? q8RoundTrip(x) : q8KRoundTrip(x);
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
    @EnumSource(value = DType.class, names = {"Q4_0", "Q4_1", "Q5_0", "Q5_1", "IQ4_NL", "Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K"})
    void equalsTheDequantizedProductWithXRoundedToInt8(DType type) {
        assumeLanes(type);
        SplittableRandom rnd = new SplittableRandom(5);
        // 72 or 65 blocks of 32: two whole groups and a part of one; Q6_K: 144 sub-blocks of 16, four groups and a half
        int rows = 3, n = type.blockSize() == 32 ? 2080 : 2304, d = 37;
        try (Arena arena = Arena.ofShared(); CpuBackend cpu = new CpuBackend(2, CpuBackend.Activations.INT8)) {
            Tensor w = encode(arena, type, random(rnd, d * n, 0.1), d, n);
            float[] x = random(rnd, rows * n, 2);
            Tensor out = cpu.allocate(rows, d);
            cpu.matmul(out, Tensor.wrap(x, rows, n), w, rows);
            MatmulQuantizedTest.assertMatchesReference(w, rounded(type, x), out, rows, type + " against x rounded to int8");
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
     * IQ4_NL's levels at their extremes against q = ±127: 32 products of ±16129 per block, far past 16 bits, and the
     * residue chains at their bounds (nibbles 3 and 4: residue 15, 16 products of 1905 a chain). Each row's blocks hold
     * one nibble (row 0: 0, level -127; row 1: 15, 113; row 2: 3, -65; row 3: 4, -49); x alternates 3 and -3 in row 1
     * of x. The results are the exact sums, scaled.
     */
    @Test
    void iq4nlLevelsAndResiduesAtTheirExtremesAreExact() {
        assumeLanes(DType.IQ4_NL);
        int n = 64, d = 4;
        int[] nibble = {0, 15, 3, 4};
        byte[] levels = dev.tandem.core.codec.IQ4_NLCodec.levels();
        try (Arena arena = Arena.ofShared(); CpuBackend cpu = new CpuBackend(1, CpuBackend.Activations.INT8)) {
            MemorySegment seg = arena.allocate(DType.IQ4_NL.byteSize((long) d * n), 64);
            for (int blk = 0; blk < 2 * d; blk++) { // two blocks a row; scale 1.0
                int v = nibble[blk / 2];
                seg.set(ValueLayout.JAVA_SHORT_UNALIGNED, 18L * blk, Float.floatToFloat16(1f));
                for (int i = 0; i < 16; i++) {
                    seg.set(ValueLayout.JAVA_BYTE, 18L * blk + 2 + i, (byte) (v | v << 4));
                }
            }
            Tensor w = Tensor.of(seg, DType.IQ4_NL, d, n);
            float[] x = new float[2 * n];
            for (int i = 0; i < n; i++) {
                x[i] = 3f; // amax 3: d = 3/127, every q = 127
                x[n + i] = i % 2 == 0 ? 3f : -3f; // q = ±127: each block's sum 0
            }
            Tensor out = cpu.allocate(2, d);
            cpu.matmul(out, Tensor.wrap(x, 2, n), w, 2);
            double dx = Float.float16ToFloat(Float.floatToFloat16(3f / 127)); // x's scale, kept as an F16
            for (int j = 0; j < d; j++) {
                assertEquals(2 * dx * (levels[nibble[j]] * 127 * 32), out.get(0, j), 1e-2, "nibble " + nibble[j] + ", q = 127");
                assertEquals(0, out.get(1, j), 1e-6, "nibble " + nibble[j] + ", q = ±127");
            }
        }
    }

    /**
     * The rounding of x moves a result by at most {@code Σ_b d_b (1/2 + 127·2^-11) · Σ_{i in b} |w_i|} from float
     * activations: half a step, and d's rounding to an F16 (relative 2^-11) on values up to 127 steps.
     */
    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"Q4_0", "Q4_1", "Q5_0", "Q5_1", "IQ4_NL", "Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K"})
    void staysWithinTheRoundingBoundOfFloatActivations(DType type) {
        assumeLanes(type);
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
                    int span = type.blockSize() == 32 ? 32 : 256; // the values that share a scale d
                    for (int b = 0; b < n / span; b++) {
                        float amax = 0;
                        double wsum = 0;
                        for (int e = 0; e < span; e++) {
                            amax = Math.max(amax, Math.abs(x[r * n + span * b + e]));
                            wsum += Math.abs(wj[span * b + e]);
                        }
                        // half a step, and d's rounding (to an F16 for Q4_0's blocks, to a float for Q4_K's) times |q| <= 127
                        bound += amax / 127.0 * (0.5 + 127 * (span == 32 ? 0x1p-11 : 0x1p-22)) * wsum;
                    }
                    double diff = Math.abs(out.get(r, j) - floats[r * d + j]);
                    assertTrue(diff <= bound * 1.001 + 1e-5, "row " + r + " feature " + j + ": " + diff + " > " + bound);
                }
            }
        }
    }

    /**
     * Q4_1 blocks whose 16-bit sums wrap on the way (nibbles 15 against q = 127) and end at the bound (nibbles 0), with
     * mins of either sign: the exact sums, scaled, plus the mins' term; one and two batch rows.
     */
    @Test
    void q4_1BlocksAtTheEdgesOfSixteenBitsAreExact() {
        int n = 64, d = 2;
        try (Arena arena = Arena.ofShared(); CpuBackend cpu = new CpuBackend(1, CpuBackend.Activations.INT8)) {
            MemorySegment seg = arena.allocate(DType.Q4_1.byteSize((long) d * n), 64);
            for (int blk = 0; blk < 4; blk++) { // rows 0 and 1, two blocks each; d 1, m 2 (row 0) and -3 (row 1)
                seg.set(ValueLayout.JAVA_SHORT_UNALIGNED, 20L * blk, Float.floatToFloat16(1f));
                seg.set(ValueLayout.JAVA_SHORT_UNALIGNED, 20L * blk + 2, Float.floatToFloat16(blk < 2 ? 2f : -3f));
                for (int i = 0; i < 16; i++) {
                    seg.set(ValueLayout.JAVA_BYTE, 20L * blk + 4 + i, (byte) (blk < 2 ? 0xFF : 0x00));
                }
            }
            Tensor w = Tensor.of(seg, DType.Q4_1, d, n);
            float dx = Float.float16ToFloat(Float.floatToFloat16(3f / 127)); // x = 3: d = 3/127 kept as an F16, every q = 127
            assertOneAndTwoRows(cpu, w, 3f, 1e-3, "Q4_1, nibbles 15, m 2: value 17", 2 * (double) dx * (17 * 127 * 32),
                    "nibbles 0, m -3: value -3", 2 * (double) dx * (-3 * 127 * 32));
        }
    }

    /**
     * Q5_0 and Q5_1 blocks at the ends of their values (q = 31 and q = 0, whose chains of 11 products reach 16·127·11),
     * Q5_1's mins of either sign, against q = 127: the exact sums, scaled (and the mins' term); one and two batch rows.
     */
    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"Q5_0", "Q5_1"})
    void fiveBitBlocksAtTheirExtremesAreExact(DType type) {
        int n = 64, d = 2, bytes = (int) type.byteSize(32), qh = type == DType.Q5_1 ? 4 : 2;
        try (Arena arena = Arena.ofShared(); CpuBackend cpu = new CpuBackend(1, CpuBackend.Activations.INT8)) {
            MemorySegment seg = arena.allocate(type.byteSize((long) d * n), 64);
            for (int blk = 0; blk < 4; blk++) { // rows 0 and 1, two blocks each; d 1; row 0: every q 31 (m 2), row 1: every q 0 (m -3)
                long o = (long) bytes * blk;
                seg.set(ValueLayout.JAVA_SHORT_UNALIGNED, o, Float.floatToFloat16(1f));
                if (type == DType.Q5_1) {
                    seg.set(ValueLayout.JAVA_SHORT_UNALIGNED, o + 2, Float.floatToFloat16(blk < 2 ? 2f : -3f));
                }
                for (int i = 0; i < 20; i++) {
                    seg.set(ValueLayout.JAVA_BYTE, o + qh + i, (byte) (blk < 2 ? 0xFF : 0x00));
                }
            }
            Tensor w = Tensor.of(seg, type, d, n);
            float dx = Float.float16ToFloat(Float.floatToFloat16(3f / 127)); // x = 3: d = 3/127 kept as an F16, every q = 127
            int top = type == DType.Q5_1 ? 33 : 15, bottom = type == DType.Q5_1 ? -3 : -16;
            assertOneAndTwoRows(cpu, w, 3f, 1e-3, type + ", q 31: value " + top, 2 * (double) dx * (top * 127 * 32),
                    "q 0: value " + bottom, 2 * (double) dx * (bottom * 127 * 32));
        }
    }

    /**
     * Q6_K sub-blocks whose chains wrap on the way (q = 63 against q_x = -127: 8 products of -8001) or end at the
     * bound (q = 0, value -32, against -127: 32512 a chain), with scale 1 and -128 (the int8 extremes): still the exact sums.
     */
    @Test
    void q6KSubBlockSumsAtTheEdgesOfSixteenBitsAreExact() {
        int n = 256, d = 2;
        try (Arena arena = Arena.ofShared(); CpuBackend cpu = new CpuBackend(1, CpuBackend.Activations.INT8)) {
            MemorySegment seg = arena.allocate(DType.Q6_K.byteSize((long) d * n), 64);
            for (int row = 0; row < d; row++) { // row 0: every q 63 (all bits set), scales 1; row 1: every q 0, scales -128
                long o = 210L * row;
                for (int i = 0; i < 192; i++) {
                    seg.set(ValueLayout.JAVA_BYTE, o + i, (byte) (row == 0 ? 0xFF : 0x00));
                }
                for (int s = 0; s < 16; s++) {
                    seg.set(ValueLayout.JAVA_BYTE, o + 192 + s, (byte) (row == 0 ? 1 : -128));
                }
                seg.set(ValueLayout.JAVA_SHORT_UNALIGNED, o + 208, Float.floatToFloat16(1f));
            }
            Tensor w = Tensor.of(seg, DType.Q6_K, d, n);
            float[] x = new float[n];
            java.util.Arrays.fill(x, -3f); // m = -3: 1/d = -127/m, every q_x = -127, which x's rounding keeps exact
            Tensor out = cpu.allocate(1, d);
            cpu.matmul(out, Tensor.wrap(x, 1, n), w, 1);
            assertEquals(31 * -3.0 * 256, out.get(0, 0), 1e-5 * 23808, "q 63: value 31, scale 1");
            assertEquals(-128 * -32 * -3.0 * 256, out.get(0, 1), 1e-5 * 3145728, "q 0: value -32, scale -128");
        }
    }

    /**
     * Q3_K sub-blocks at the ends of its values and scales (q = 7, value 3, scale 31; q = 0, value -4, scale -32),
     * against q_x = -127, through the one-row and the two-row kernels: the exact sums, scaled.
     */
    @Test
    void q3KSubBlocksAtTheirExtremesAreExact() {
        int n = 256, d = 2;
        try (Arena arena = Arena.ofShared(); CpuBackend cpu = new CpuBackend(1, CpuBackend.Activations.INT8)) {
            MemorySegment seg = arena.allocate(DType.Q3_K.byteSize((long) d * n), 64);
            for (int row = 0; row < d; row++) { // row 0: hmask and qs all ones (q 7), 6-bit scales 63; row 1: all zeros (q 0), scales 0
                long o = 110L * row;
                for (int i = 0; i < 108; i++) {
                    seg.set(ValueLayout.JAVA_BYTE, o + i, (byte) (row == 0 ? 0xFF : 0x00));
                }
                seg.set(ValueLayout.JAVA_SHORT_UNALIGNED, o + 108, Float.floatToFloat16(1f));
            }
            Tensor w = Tensor.of(seg, DType.Q3_K, d, n);
            // x = -3: every q_x = -127, kept exact by x's rounding
            assertOneAndTwoRows(cpu, w, -3f, 1e-5 * 98304, "Q3_K, q 7, value 3, scale 31", 31 * 3 * -3.0 * 256,
                    "q 0, value -4, scale -32", -32 * -4 * -3.0 * 256);
        }
    }

    /**
     * Q6_K's and Q3_K's d across the F16 range, each in a row of q all 63 (Q6_K, value 31, scales 1) or 7 (Q3_K,
     * value 3, scales 31) against q_x = -127: the subnormal 2^-24 and the largest d the repacking stores as 1024·d
     * (63.97), and in a second tensor 2^-24 beside 65504, which keeps every d of its tensor as it is
     * ({@link KQuantLanes#shiftedD}). Each result is the exact sum times d, through the one-row and two-row kernels.
     */
    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"Q6_K", "Q3_K"})
    void superBlockScalesAcrossTheF16RangeAreExact(DType type) {
        boolean q6 = type == DType.Q6_K;
        int n = 256, blockBytes = q6 ? 210 : 110, dAt = blockBytes - 2;
        double sum = q6 ? 31 * -3.0 * 256 : 31 * 3 * -3.0 * 256;
        for (float[] ds : new float[][] {{0x1p-24f, 63.96875f}, {0x1p-24f, 65504f}}) {
            try (Arena arena = Arena.ofShared(); CpuBackend cpu = new CpuBackend(1, CpuBackend.Activations.INT8);
                 WorkerPool pool = new WorkerPool(2)) {
                MemorySegment rows = scaleRows(type, ds, blockBytes, dAt, arena);
                assertEquals(ds[1] < 64, KQuantLanes.dShiftable(rows, 2, n, !q6, pool), "d of " + ds[1] + " stored as 1024·d");
                Tensor w = Tensor.of(rows, type, 2, n);
                assertOneAndTwoRows(cpu, w, -3f, 0, type + ", d 2^-24", sum * ds[0], "d " + ds[1], sum * ds[1]);
            }
        }
    }

    /** Two super-blocks of {@code type} with every bit of the values and the scales set, and d {@code ds[0]} and {@code ds[1]}. */
    private static MemorySegment scaleRows(DType type, float[] ds, int blockBytes, int dAt, Arena arena) {
        MemorySegment seg = arena.allocate((long) 2 * blockBytes, 64);
        for (int row = 0; row < 2; row++) {
            for (int i = 0; i < dAt; i++) {
                seg.set(ValueLayout.JAVA_BYTE, (long) blockBytes * row + i, (byte) (type == DType.Q6_K && i >= 192 ? 1 : 0xFF));
            }
            seg.set(ValueLayout.JAVA_SHORT_UNALIGNED, (long) blockBytes * row + dAt, Float.floatToFloat16(ds[row]));
        }
        return seg;
    }

    /**
     * Q2_K sub-blocks at the ends of its values, scales and mins (q = 3, scale 15, min 15; q = 0, min 15; d and dmin 1),
     * against q_x = -127, through the one-row and the two-row kernels: the exact sums, scaled, less the mins' term.
     */
    @Test
    void q2KSubBlocksAtTheirExtremesAreExact() {
        int n = 256, d = 2;
        try (Arena arena = Arena.ofShared(); CpuBackend cpu = new CpuBackend(1, CpuBackend.Activations.INT8)) {
            MemorySegment seg = arena.allocate(DType.Q2_K.byteSize((long) d * n), 64);
            for (int row = 0; row < d; row++) { // scales and mins 15 (bytes 0xFF); row 0: every q 3, row 1: every q 0
                long o = 84L * row;
                for (int i = 0; i < 80; i++) {
                    seg.set(ValueLayout.JAVA_BYTE, o + i, (byte) (i < 16 || row == 0 ? 0xFF : 0x00));
                }
                seg.set(ValueLayout.JAVA_SHORT_UNALIGNED, o + 80, Float.floatToFloat16(1f));
                seg.set(ValueLayout.JAVA_SHORT_UNALIGNED, o + 82, Float.floatToFloat16(1f));
            }
            Tensor w = Tensor.of(seg, DType.Q2_K, d, n);
            assertOneAndTwoRows(cpu, w, -3f, 1e-5 * 23040, "Q2_K, q 3: value 30", (15 * 3 - 15) * -3.0 * 256,
                    "q 0: value -15", -15 * -3.0 * 256);
        }
    }

    /**
     * Q5_K sub-blocks at the ends of its values (q = 31, value 15, and q = 0, value -16: its three chains hold 11, 11
     * and 10 products, up to 16·127·11 = 22352) with the largest scale and min (63): still the exact sums, one and
     * two batch rows.
     */
    @Test
    void q5KChainsAtTheirBoundsAreExact() {
        int n = 256, d = 2;
        try (Arena arena = Arena.ofShared(); CpuBackend cpu = new CpuBackend(1, CpuBackend.Activations.INT8)) {
            MemorySegment seg = arena.allocate(DType.Q5_K.byteSize((long) d * n), 64);
            for (int row = 0; row < d; row++) { // row 0: every q 31 (nibbles and fifth bits set); row 1: every q 0; d 1, dmin 0.5
                long o = 176L * row;
                seg.set(ValueLayout.JAVA_SHORT_UNALIGNED, o, Float.floatToFloat16(1f));
                seg.set(ValueLayout.JAVA_SHORT_UNALIGNED, o + 2, Float.floatToFloat16(0.5f));
                for (int i = 4; i < 16; i++) { // every 6-bit scale and min 63
                    seg.set(ValueLayout.JAVA_BYTE, o + i, (byte) 0xFF);
                }
                for (int i = 16; i < 176; i++) {
                    seg.set(ValueLayout.JAVA_BYTE, o + i, (byte) (row == 0 ? 0xFF : 0x00));
                }
            }
            Tensor w = Tensor.of(seg, DType.Q5_K, d, n);
            float[] x = new float[2 * n];
            java.util.Arrays.fill(x, 0, n, -3f); // m = -3: every q_x = -127, which x's rounding keeps exact
            java.util.Arrays.fill(x, n, 2 * n, 3f); // m = 3: every q_x = -127 too (1/d = -127/m), x's d = -3/127
            Tensor out = cpu.allocate(2, d);
            cpu.matmul(out, Tensor.wrap(x, 2, n), w, 2);
            Tensor alone = cpu.allocate(1, d);
            cpu.matmul(alone, Tensor.wrap(java.util.Arrays.copyOf(x, n), 1, n), w, 1);
            // value d·63·q - 0.5·63 against x; to the float rounding of terms up to 63·16·3·256 (7.7e5) a sub-block's
            for (int r = 0; r < 2; r++) {
                double xv = r == 0 ? -3 : 3;
                assertEquals((63 * 31 - 31.5) * xv * 256, out.get(r, 0), 4.0, "row " + r + ", q 31");
                assertEquals(-31.5 * xv * 256, out.get(r, 1), 4.0, "row " + r + ", q 0");
            }
            org.junit.jupiter.api.Assertions.assertArrayEquals(alone.row(0), out.row(0), 0f, "one batch row alone");
        }
    }

    /**
     * A batch row holding NaN (hostile or broken activations) is rounded like any other: the matmul ends, and the
     * other batch rows are bitwise what they are alone. (Finding a span's largest magnitude must not run past the
     * span when no value equals a NaN maximum.)
     */
    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"Q4_0", "Q4_1", "Q5_0", "Q5_1", "IQ4_NL", "Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K"})
    void aRowWithNaNLeavesTheOtherRowsAlone(DType type) {
        SplittableRandom rnd = new SplittableRandom(11);
        int n = 512, d = 8;
        try (Arena arena = Arena.ofShared(); CpuBackend cpu = new CpuBackend(1, CpuBackend.Activations.INT8)) {
            Tensor w = encode(arena, type, random(rnd, d * n, 0.1), d, n);
            float[] x = random(rnd, 2 * n, 1);
            x[n + 3] = Float.NaN;
            Tensor both = cpu.allocate(2, d), alone = cpu.allocate(1, d);
            cpu.matmul(both, Tensor.wrap(x, 2, n), w, 2);
            cpu.matmul(alone, Tensor.wrap(java.util.Arrays.copyOf(x, n), 1, n), w, 1);
            org.junit.jupiter.api.Assertions.assertArrayEquals(alone.row(0), both.row(0), 0f, type + ": the row without NaN");
        }
    }

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"Q4_0", "Q4_1", "Q5_0", "Q5_1", "IQ4_NL", "Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K"})
    void eachTensorIsRepackedOnce(DType type) {
        assumeLanes(type);
        try (Arena arena = Arena.ofShared(); WorkerPool pool = new WorkerPool(2)) {
            Tensor w = encode(arena, type, random(new SplittableRandom(3), 4 * 256, 0.1), 4, 256);
            WeightKernels first = WeightKernels.of(w, true, pool);
            Class<?> lanes = type == DType.Q5_0 || type == DType.Q5_1 ? LegacyQ5LaneKernels.class : type == DType.Q4_1 ? Q4_1LaneKernels.class : type == DType.Q2_K ? Q2_KLaneKernels.class : type == DType.Q3_K ? Q3_KLaneKernels.class : type == DType.Q6_K ? Q6_KLaneKernels.class : type == DType.Q5_K ? Q5_KLaneKernels.class : type == DType.IQ4_NL ? IQ4_NLLaneKernels.class : Q8LaneKernels.class;
            assertTrue(lanes.isInstance(first), first.getClass().getName());
            assertSame(first, WeightKernels.of(w, true, pool));
            assertSame(WeightKernels.of(type), WeightKernels.of(w, false, pool), "float activations: the file's layout");
        }
    }

    /**
     * The two-feature matmul of {@code w} against one and then two batch rows of x all {@code value}, through the
     * one-row and the two-row kernels: feature 0 is {@code first}, feature 1 {@code second}, within {@code tolerance}.
     */
    private static void assertOneAndTwoRows(CpuBackend cpu, Tensor w, float value, double tolerance, String firstWhat, double first,
                                            String secondWhat, double second) {
        int n = w.cols();
        for (int rows = 1; rows <= 2; rows++) {
            float[] x = new float[rows * n];
            java.util.Arrays.fill(x, value);
            Tensor out = cpu.allocate(rows, 2);
            cpu.matmul(out, Tensor.wrap(x, rows, n), w, rows);
            for (int r = 0; r < rows; r++) {
                assertEquals(first, out.get(r, 0), tolerance, rows + " rows: " + firstWhat);
                assertEquals(second, out.get(r, 1), tolerance, rows + " rows: " + secondWhat);
            }
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
