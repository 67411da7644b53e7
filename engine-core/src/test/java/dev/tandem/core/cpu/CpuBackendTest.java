package dev.tandem.core.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.tandem.core.AttentionShape;
import dev.tandem.core.DType;
import dev.tandem.core.RopeTable;
import dev.tandem.core.TandemException;
import dev.tandem.core.Tensor;
import dev.tandem.core.TreeMask;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class CpuBackendTest {
    private static float[] random(SplittableRandom rnd, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) rnd.nextDouble(-1, 1);
        }
        return a;
    }

    /** Weights as a little-endian off-heap segment, like a mapped model file. */
    private static Tensor weights(Arena arena, float[] values, int rows, int cols) {
        MemorySegment seg = arena.allocate((long) values.length * 4, 64);
        MemorySegment.copy(values, 0, seg, ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(java.nio.ByteOrder.LITTLE_ENDIAN), 0, values.length);
        return Tensor.of(seg, DType.F32, rows, cols);
    }

    @Test
    void matmulMatchesScalarReferenceForAwkwardShapes() {
        SplittableRandom rnd = new SplittableRandom(3);
        try (Arena arena = Arena.ofConfined(); CpuBackend cpu = new CpuBackend(1)) {
            for (int[] shape : new int[][] {{1, 1, 1}, {3, 17, 5}, {5, 64, 172}, {7, 172, 64}, {4, 33, 9}}) {
                int rows = shape[0], n = shape[1], d = shape[2];
                float[] w = random(rnd, d * n);
                float[] x = random(rnd, rows * n);
                Tensor out = cpu.allocate(rows, d);
                cpu.matmul(out, Tensor.wrap(x, rows, n), weights(arena, w, d, n), rows);
                for (int r = 0; r < rows; r++) {
                    for (int j = 0; j < d; j++) {
                        double ref = 0;
                        for (int i = 0; i < n; i++) {
                            ref += (double) w[j * n + i] * x[r * n + i];
                        }
                        assertEquals(ref, out.get(r, j), 1e-5, "row " + r + " col " + j + " of " + rows + "x" + n + "x" + d);
                    }
                }
            }
        }
    }

    /** Batch invariance: a row's output is bitwise the same alone, in any batch, on any thread count. */
    @Test
    void matmulRowIsBitwiseIndependentOfBatchAndThreads() {
        SplittableRandom rnd = new SplittableRandom(4);
        int n = 300, d = 1031, rows = 13; // big enough to take the parallel path on 2 threads
        float[] w = random(rnd, d * n);
        float[] x = random(rnd, rows * n);
        try (Arena arena = Arena.ofShared(); CpuBackend one = new CpuBackend(1); CpuBackend two = new CpuBackend(2)) {
            Tensor wt = weights(arena, w, d, n);
            Tensor batch1 = one.allocate(rows, d);
            Tensor batch2 = two.allocate(rows, d);
            one.matmul(batch1, Tensor.wrap(x, rows, n), wt, rows);
            two.matmul(batch2, Tensor.wrap(x, rows, n), wt, rows);
            for (int r = 0; r < rows; r++) {
                float[] xr = java.util.Arrays.copyOfRange(x, r * n, (r + 1) * n);
                Tensor alone = one.allocate(1, d);
                one.matmul(alone, Tensor.wrap(xr, 1, n), wt, 1);
                assertArrayEquals(alone.row(0), batch1.row(r), 0f, "row " + r + " in a batch of " + rows);
                assertArrayEquals(alone.row(0), batch2.row(r), 0f, "row " + r + " on two threads");
            }
        }
    }

    @Test
    void parallelAttentionEqualsSingleThreaded() {
        SplittableRandom rnd = new SplittableRandom(5);
        AttentionShape shape = new AttentionShape(8, 2, 16);
        int slots = 400, cached = 300;
        TreeMask mask = TreeMask.of(new int[] {-1, 0, 0, 1, 2, 3, -1, 6});
        int rows = mask.size();
        float[] q = random(rnd, rows * shape.dim());
        float[] k = random(rnd, slots * shape.kvDim());
        float[] v = random(rnd, slots * shape.kvDim());
        try (CpuBackend one = new CpuBackend(1); CpuBackend two = new CpuBackend(2)) {
            Tensor keys1 = one.allocateKeys(slots, shape.kvDim()), values1 = one.allocateValues(slots, shape.kvDim());
            Tensor keys2 = two.allocateKeys(slots, shape.kvDim()), values2 = two.allocateValues(slots, shape.kvDim());
            Tensor kt = Tensor.wrap(k, slots, shape.kvDim()), vt = Tensor.wrap(v, slots, shape.kvDim());
            one.storeKv(keys1, values1, kt, vt, 0, slots);
            two.storeKv(keys2, values2, kt, vt, 0, slots);
            Tensor out1 = one.allocate(rows, shape.dim()), out2 = two.allocate(rows, shape.dim());
            one.attention(out1, Tensor.wrap(q, rows, shape.dim()), keys1, values1, cached, mask, shape);
            two.attention(out2, Tensor.wrap(q, rows, shape.dim()), keys2, values2, cached, mask, shape);
            for (int r = 0; r < rows; r++) {
                assertArrayEquals(out1.row(r), out2.row(r), 0f, "row " + r);
            }
        }
    }

    /**
     * Every head size takes its own vector path (scores four position chunks at a time; values as four chains of 16
     * lanes where the head holds 64 or 128, as 8-lane chains where it holds 8, scalar otherwise), and each must give
     * the bits of the scalar order: each score one FMA chain over the head, divided by sqrt(head size), the softmax,
     * then each output one FMA chain over the positions in order (what one-token decoding of that path computes).
     */
    @Test
    void attentionHasTheBitsOfTheScalarOrderForEveryHeadSize() {
        SplittableRandom rnd = new SplittableRandom(6);
        TreeMask mask = TreeMask.of(new int[] {-1, 0, 1, 2, 0, 4, -1});
        int rows = mask.size();
        for (int hs : new int[] {2, 8, 12, 16, 64, 128}) {
            for (int cached : new int[] {0, 5, 70, 131}) {
                AttentionShape shape = new AttentionShape(4, 2, hs);
                int slots = cached + rows + 32;
                float[] q = random(rnd, rows * shape.dim());
                float[] k = random(rnd, slots * shape.kvDim());
                float[] v = random(rnd, slots * shape.kvDim());
                try (CpuBackend cpu = new CpuBackend(2)) {
                    Tensor keys = cpu.allocateKeys(slots, shape.kvDim()), values = cpu.allocateValues(slots, shape.kvDim());
                    cpu.storeKv(keys, values, Tensor.wrap(k, slots, shape.kvDim()), Tensor.wrap(v, slots, shape.kvDim()), 0, slots);
                    Tensor out = cpu.allocate(rows, shape.dim());
                    cpu.attention(out, Tensor.wrap(q, rows, shape.dim()), keys, values, cached, mask, shape);
                    for (int b = 0; b < rows; b++) {
                        float[] expected = scalarAttention(q, k, v, b, cached, mask.path(b), shape);
                        assertArrayEquals(expected, out.row(b), 0f, "head size " + hs + ", " + cached + " cached, row " + b);
                    }
                }
            }
        }
    }

    private static float[] scalarAttention(float[] q, float[] k, float[] v, int b, int cached, int[] path, AttentionShape shape) {
        int hs = shape.headSize(), kvDim = shape.kvDim(), group = shape.heads() / shape.kvHeads();
        float[] out = new float[shape.dim()];
        for (int h = 0; h < shape.heads(); h++) {
            int qo = b * shape.dim() + h * hs, kvOffset = (h / group) * hs;
            int len = cached + path.length;
            float[] att = new float[len];
            for (int s = 0; s < len; s++) {
                int slot = s < cached ? s : cached + path[s - cached];
                float score = 0f;
                for (int i = 0; i < hs; i++) {
                    score = Math.fma(k[slot * kvDim + kvOffset + i], q[qo + i], score);
                }
                att[s] = score / (float) Math.sqrt(hs);
            }
            Softmax.inPlace(att, 0, len);
            for (int i = 0; i < hs; i++) {
                float acc = 0f;
                for (int s = 0; s < len; s++) {
                    int slot = s < cached ? s : cached + path[s - cached];
                    acc = Math.fma(v[slot * kvDim + kvOffset + i], att[s], acc);
                }
                out[h * hs + i] = acc;
            }
        }
        return out;
    }

    @Test
    void ropeRotatesPairsByPosition() {
        RopeTable table = new RopeTable(4, 8, 10000f);
        try (CpuBackend cpu = new CpuBackend(1)) {
            Tensor x = Tensor.wrap(new float[] {1, 0, 1, 0}, 1, 4);
            cpu.rope(x, 1, 4, new int[] {3}, table);
            assertEquals(Math.cos(3), x.get(0, 0), 1e-6);
            assertEquals(Math.sin(3), x.get(0, 1), 1e-6);
            assertEquals(Math.cos(3 / 100.0), x.get(0, 2), 1e-6);
            assertThrows(TandemException.class, () -> cpu.rope(x, 1, 4, new int[] {8}, table));
        }
    }

    @Test
    void addBiasAddsTheRowToEveryRowIncludingTheTail() {
        SplittableRandom rnd = new SplittableRandom(8);
        int rows = 3, n = 37; // whole vectors, then a scalar tail
        float[] x = random(rnd, rows * n);
        float[] b = random(rnd, n);
        try (Arena arena = Arena.ofConfined(); CpuBackend cpu = new CpuBackend(1)) {
            Tensor t = Tensor.wrap(x.clone(), rows, n);
            cpu.addBias(t, weights(arena, b, 1, n), rows);
            for (int r = 0; r < rows; r++) {
                for (int i = 0; i < n; i++) {
                    assertEquals(x[r * n + i] + b[i], t.get(r, i), 0f, "row " + r + " col " + i);
                }
            }
        }
    }

    @Test
    void halfSplitRopeRotatesFirstWithMiddleAndScalesFrequencies() {
        RopeTable table = new RopeTable(4, 8, new dev.tandem.core.Rope(10000f, true, new float[] {1f, 4f}));
        try (CpuBackend cpu = new CpuBackend(1)) {
            Tensor x = Tensor.wrap(new float[] {1, 1, 0, 0}, 1, 4); // pairs (x0, x2) and (x1, x3)
            cpu.rope(x, 1, 4, new int[] {3}, table);
            assertEquals(Math.cos(3), x.get(0, 0), 1e-6);
            assertEquals(Math.sin(3), x.get(0, 2), 1e-6);
            assertEquals(Math.cos(3 / 100.0 / 4), x.get(0, 1), 1e-6);
            assertEquals(Math.sin(3 / 100.0 / 4), x.get(0, 3), 1e-6);
        }
    }

    @Test
    void llama3FactorsKeepShortWavelengthsAndSlowLongOnes() {
        float[] f = dev.tandem.core.Rope.llama3Factors(128, 500000f, 8f, 1f, 4f, 8192);
        assertEquals(1f, f[0], 0f);
        assertEquals(8f, f[63], 0f);
        for (int i = 1; i < 64; i++) {
            assertEquals(true, f[i] >= f[i - 1], "factors grow with wavelength");
        }
    }

    /** Qwen2.5's long-context YaRN (factor 4 over 32768 positions, theta 1e6, head size 128): pairs up to 23 kept, from 40 on slowed 4x. */
    @Test
    void yarnFactorsBlendBetweenTheCorrectionDims() {
        float[] f = dev.tandem.core.Rope.yarnFactors(128, 1e6f, 4f, 32768, 32f, 1f);
        assertEquals(1f, f[0], 0f);
        assertEquals(1f, f[23], 0f);
        assertEquals(4f, f[40], 1e-6f);
        assertEquals(4f, f[63], 1e-6f);
        assertEquals(1 / ((7 / 17.0) / 4 + 10 / 17.0), f[30], 1e-5, "(30 - 23) / (40 - 23) of the way");
        assertEquals(1 + 0.1 * Math.log(4), dev.tandem.core.Rope.yarnMagnitude(4f, 1f), 1e-6);
        assertEquals(1f, dev.tandem.core.Rope.yarnMagnitude(1f, 1f), 0f);
        RopeTable t = new RopeTable(128, 4, new dev.tandem.core.Rope(1e6f, true, f, 1.5f));
        assertEquals(1.5f, t.cos(0, 5), 0f, "the magnitude multiplies cos and sin");
        for (int pair : new int[] {20, 30}) {
            double angle = 3 * Math.pow(1e6, -2.0 * pair / 128) / f[pair];
            assertEquals(1.5 * Math.sin(angle), t.sin(3, pair), 1e-6, "pair " + pair + " at position 3");
            assertEquals(1.5 * Math.cos(angle), t.cos(3, pair), 1e-6, "pair " + pair + " at position 3");
        }
    }

    @Test
    void treeMaskRejectsParentsThatDoNotComeFirst() {
        assertThrows(TandemException.class, () -> TreeMask.of(new int[] {-1, 1}));
        assertThrows(TandemException.class, () -> TreeMask.of(new int[] {0}));
        TreeMask m = TreeMask.of(new int[] {-1, 0, 0, 2});
        assertArrayEquals(new int[] {0, 2, 3}, m.path(3));
        assertEquals(2, m.depth(3));
    }

    @Test
    void workerPoolCoversRangeExactlyOnce() {
        try (WorkerPool pool = new WorkerPool(2)) {
            for (int n : new int[] {1, 3, 4, 7, 64, 1001}) {
                int[] hits = new int[n];
                pool.parallelFor(n, 4, (a, b) -> {
                    for (int i = a; i < b; i++) {
                        hits[i]++;
                    }
                });
                for (int i = 0; i < n; i++) {
                    assertEquals(1, hits[i], "index " + i + " of " + n);
                }
            }
            assertThrows(IllegalStateException.class, () -> pool.parallelFor(100, 1, (a, b) -> {
                if (a > 0) {
                    throw new IllegalStateException("worker failure surfaces in the caller");
                }
            }));
        }
    }
}
