package dev.tandem.core.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.tandem.core.DType;
import dev.tandem.core.Quantization;
import dev.tandem.core.TandemException;
import dev.tandem.core.Tensor;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.Test;

class MatmulQuantizedTest {
    private static float[] random(SplittableRandom rnd, int n, double scale) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) (rnd.nextGaussian() * scale);
        }
        return a;
    }

    /**
     * Encodes d x n values as {@code type} into an off-heap segment, like a mapped model file. The types Tandem
     * only reads get random blocks instead (the values are ignored).
     */
    private static Tensor encode(Arena arena, DType type, float[] values, int d, int n) {
        MemorySegment seg = arena.allocate(type.byteSize((long) d * n), 64);
        if (!type.writable()) {
            byte[] bytes = dev.tandem.core.RandomBlocks.of(type, (int) ((long) d * n / type.blockSize()), new SplittableRandom(values.length));
            MemorySegment.copy(bytes, 0, seg, java.lang.foreign.ValueLayout.JAVA_BYTE, 0, bytes.length);
            return Tensor.of(seg, type, d, n);
        }
        for (int j = 0; j < d; j++) {
            Quantization.encode(type, values, j * n, n, seg, type.byteSize((long) j * n));
        }
        return Tensor.of(seg, type, d, n);
    }

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"F16", "BF16", "Q8_0", "Q4_0", "Q4_K", "Q5_K", "Q6_K", "IQ4_NL", "Q5_0", "Q5_1", "Q4_1", "Q2_K", "Q3_K"})
    void vectorDecodeEqualsScalarDecodeBitForBit(DType type) {
        SplittableRandom rnd = new SplittableRandom(7);
        int n = type.quantized() ? 4 * type.blockSize() : 172; // 172: a masked tail for the 16-bit types
        float[] v = random(rnd, n, 0.05);
        if (!type.quantized()) { // the awkward halves: zeros, subnormals, the largest, infinities, NaN
            float[] special = {0f, -0f, 1e-7f, -3e-6f, 6.1e-5f, 65504f, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.NaN, 1e-40f};
            System.arraycopy(special, 0, v, 0, special.length);
        }
        try (Arena arena = Arena.ofConfined()) {
            Tensor t = encode(arena, type, v, 1, n);
            float[] scalar = new float[n];
            Quantization.decode(type, t.segment(), 0, n, scalar, 0);
            float[] vector = new float[DecodedMatmul.stride(n)];
            WeightKernels.of(type).decodeRow(t.segment(), 0, n, vector, 0);
            for (int i = 0; i < n; i++) {
                assertEquals(Float.floatToIntBits(scalar[i]), Float.floatToIntBits(vector[i]), type + " value " + i + " (" + v[i] + ")");
            }
        }
    }

    @Test
    void encodersFollowGgmlReferenceRounding() {
        float[] x = new float[32];
        for (int i = 0; i < 32; i++) {
            x[i] = (i - 16) * 0.25f;
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment q8 = arena.allocate(34);
            Quantization.encode(DType.Q8_0, x, 0, 32, q8, 0);
            // amax 4.0 -> d = 4/127; -4.0 -> -127, 0.25 -> round(7.9375) = 8
            assertEquals(-127, q8.get(java.lang.foreign.ValueLayout.JAVA_BYTE, 2));
            assertEquals(8, q8.get(java.lang.foreign.ValueLayout.JAVA_BYTE, 2 + 17));
            MemorySegment q4 = arena.allocate(18);
            Quantization.encode(DType.Q4_0, x, 0, 32, q4, 0);
            float[] back = new float[32];
            Quantization.decode(DType.Q4_0, q4, 0, 32, back, 0);
            assertEquals(-4f, back[0], 0f, "the largest magnitude maps to -8 exactly");
        }
        assertEquals((short) 0x3F80, Quantization.toBf16(1f));
        assertEquals((short) 0x3F80, Quantization.toBf16(Float.intBitsToFloat(0x3F808000)), "a tie rounds to even");
        assertEquals((short) 0x3F82, Quantization.toBf16(Float.intBitsToFloat(0x3F818000)), "a tie rounds to even");
    }

    @ParameterizedTest
    @EnumSource(value = DType.class, mode = EnumSource.Mode.EXCLUDE, names = "F32")
    void matmulMatchesDequantizedReference(DType type) {
        SplittableRandom rnd = new SplittableRandom(11);
        int bs = type.blockSize();
        int[][] shapes = type.quantized() ? new int[][] {{1, bs, 1}, {3, 2 * bs, 5}, {5, 3 * bs, 13}, {9, 8 * bs, 7}, {16, 2 * bs, 9}}
                                          : new int[][] {{1, 1, 1}, {3, 17, 5}, {5, 172, 13}, {9, 64, 7}};
        try (Arena arena = Arena.ofConfined(); CpuBackend cpu = new CpuBackend(1)) {
            for (int[] shape : shapes) {
                int rows = shape[0], n = shape[1], d = shape[2];
                Tensor w = encode(arena, type, random(rnd, d * n, 0.1), d, n);
                float[] x = random(rnd, rows * n, 1);
                Tensor out = cpu.allocate(rows, d);
                cpu.matmul(out, Tensor.wrap(x, rows, n), w, rows);
                // Q4_0, Q4_1, Q5_0, Q5_1 and the K-quants multiply x rounded to int8 per block (LaneTiles): the reference takes x rounded the same way
                boolean int8 = CpuBackend.Activations.DEFAULT == CpuBackend.Activations.INT8;
                double[] xr = int8 && Q8LaneKernelsTest.ROUNDING.contains(type) ? Q8LaneKernelsTest.rounded(type, x) : toDoubles(x);
                assertMatchesReference(w, xr, out, rows, type + " " + rows + "x" + n + "x" + d);
            }
        }
    }

    /** out against w times x in double precision: float sums' error grows with the terms' size (random K-quant blocks reach |w| ~ 60). */
    static void assertMatchesReference(Tensor w, double[] x, Tensor out, int rows, String what) {
        int n = w.cols();
        for (int j = 0; j < w.rows(); j++) {
            float[] wj = w.row(j);
            for (int r = 0; r < rows; r++) {
                double ref = 0, magnitude = 0;
                for (int i = 0; i < n; i++) {
                    ref += wj[i] * x[r * n + i];
                    magnitude += Math.abs(wj[i] * x[r * n + i]);
                }
                assertEquals(ref, out.get(r, j), 1e-4 + 1e-5 * magnitude, what + ": row " + r + " col " + j);
            }
        }
    }

    private static double[] toDoubles(float[] x) {
        double[] d = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            d[i] = x[i];
        }
        return d;
    }

    /**
     * Batch invariance, which lossless verification needs: a row's output is bitwise the same alone or in a batch
     * of any size k = 2..64 (every tiling: fused tiles of 2 to 5 rows, decoded-buffer tiles, the lane kernels' tiles of
     * 4 and 2 rows and leftover rows; on one thread the 1031 features span several of the lane kernels' pair blocks,
     * {@link LaneTiles#PAIR_BLOCK_BYTES}, for all but Q2_K).
     */
    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"F32", "F16", "BF16", "Q8_0", "Q4_0", "Q4_K", "Q6_K", "Q5_K", "IQ4_NL", "Q5_0", "Q5_1", "Q4_1", "Q2_K", "Q3_K"})
    void rowIsBitwiseIndependentOfBatchSizeAndThreads(DType type) {
        assertBatchInvariant(type, CpuBackend.Activations.INT8);
    }

    /**
     * The same with float activations, for the types whose default multiplies int8 ones: their float kernels (tiles
     * of one and four rows, two and three rows as one-row kernels) must agree with each other too.
     */
    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"Q4_0", "Q4_K", "Q6_K", "Q5_K", "Q5_0", "Q5_1", "Q4_1", "Q2_K", "Q3_K"})
    void rowIsBitwiseIndependentOfBatchSizeWithFloatActivations(DType type) {
        assertBatchInvariant(type, CpuBackend.Activations.FLOAT);
    }

    private static void assertBatchInvariant(DType type, CpuBackend.Activations activations) {
        SplittableRandom rnd = new SplittableRandom(12);
        int n = type.quantized() ? (type.blockSize() == 32 ? 320 : 512) : 300, d = 1031, rows = 64;
        float[] x = random(rnd, rows * n, 1);
        try (Arena arena = Arena.ofShared(); CpuBackend one = new CpuBackend(1, activations); CpuBackend two = new CpuBackend(2, activations)) {
            Tensor w = encode(arena, type, random(rnd, d * n, 0.1), d, n);
            Tensor alone = one.allocate(1, d);
            for (int batch = 2; batch <= 64; batch++) {
                Tensor b1 = one.allocate(batch, d);
                Tensor b2 = two.allocate(batch, d);
                one.matmul(b1, Tensor.wrap(Arrays.copyOf(x, batch * n), batch, n), w, batch);
                two.matmul(b2, Tensor.wrap(Arrays.copyOf(x, batch * n), batch, n), w, batch);
                for (int r = 0; r < batch; r++) {
                    one.matmul(alone, Tensor.wrap(Arrays.copyOfRange(x, r * n, (r + 1) * n), 1, n), w, 1);
                    assertArrayEquals(alone.row(0), b1.row(r), 0f, type + " row " + r + " in a batch of " + batch);
                    assertArrayEquals(alone.row(0), b2.row(r), 0f, type + " row " + r + " in a batch of " + batch + " on two threads");
                }
            }
        }
    }

    /**
     * The matmuls of one x run as one parallel section ({@link CpuBackend#matmuls}: Q4_K_M's wq, wk and wv are Q4_K,
     * Q4_K and Q6_K) give each output bitwise what its own matmul gives, on one and two threads, one row and several;
     * with an output whose features are not whole fours (the section's chunks end on fours) they run one by one.
     */
    @Test
    void matmulsOfOneXEqualEachMatmul() {
        SplittableRandom rnd = new SplittableRandom(21);
        int n = 512;
        DType[] types = {DType.Q4_K, DType.Q4_K, DType.Q6_K, DType.F32, DType.Q8_0};
        int[] features = {1028, 256, 260, 300, 30};
        try (Arena arena = Arena.ofShared(); CpuBackend one = new CpuBackend(1); CpuBackend two = new CpuBackend(2)) {
            for (int[] pick : new int[][] {{0, 1, 2}, {3, 0}, {2, 4, 1}}) {
                Tensor[] ws = new Tensor[pick.length];
                for (int i = 0; i < pick.length; i++) {
                    ws[i] = encode(arena, types[pick[i]], random(rnd, features[pick[i]] * n, 0.1), features[pick[i]], n);
                }
                for (int rows : new int[] {1, 5}) {
                    Tensor x = Tensor.wrap(random(rnd, rows * n, 1), rows, n);
                    for (CpuBackend cpu : new CpuBackend[] {one, two}) {
                        Tensor[] fused = new Tensor[ws.length];
                        for (int i = 0; i < ws.length; i++) {
                            fused[i] = cpu.allocate(rows, ws[i].rows());
                        }
                        cpu.matmuls(fused, x, ws, rows);
                        for (int i = 0; i < ws.length; i++) {
                            Tensor alone = cpu.allocate(rows, ws[i].rows());
                            cpu.matmul(alone, x, ws[i], rows);
                            for (int r = 0; r < rows; r++) {
                                assertArrayEquals(alone.row(r), fused[i].row(r), 0f, ws[i].dtype() + " output " + i + " of "
                                        + ws.length + ", row " + r + " of " + rows + ", " + cpu.threads() + " thread(s)");
                            }
                        }
                    }
                }
            }
        }
    }

    @Test
    void blockTypesRefuseRowsThatAreNotWholeBlocks() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment seg = arena.allocate(1024);
            TandemException e = assertThrows(TandemException.class, () -> Tensor.of(seg, DType.Q8_0, 2, 40));
            assertEquals(true, e.getMessage().contains("whole blocks of 32"), e.getMessage());
        }
    }
}
