package dev.tandem.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tandem.core.AttentionShape;
import dev.tandem.core.Backend;
import dev.tandem.core.DType;
import dev.tandem.core.Quantization;
import dev.tandem.core.Rope;
import dev.tandem.core.RopeTable;
import dev.tandem.core.TandemException;
import dev.tandem.core.Tensor;
import dev.tandem.core.TreeMask;
import dev.tandem.core.cpu.CpuBackend;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Every CUDA kernel, run in the CPU emulation through {@link CudaBackend}, against the CPU backend on
 * random inputs. The two sum in different orders, so values agree to a relative tolerance, not bitwise;
 * integer results (argmax) agree exactly.
 */
class CudaKernelsTest {
    private static final float TOLERANCE = 2e-5f; // relative to the largest magnitude of the reference row
    private static CudaBackend cuda;
    private static CpuBackend cpu;
    private static Arena arena;

    @BeforeAll
    static void open() {
        EmulationAvailable.assume();
        cuda = CudaBackend.emulated();
        cpu = new CpuBackend(1, CpuBackend.Activations.FLOAT); // x as floats, as the CUDA kernels take it
        arena = Arena.ofShared();
    }

    @AfterAll
    static void close() {
        if (cuda != null) {
            cuda.close();
            cpu.close();
            arena.close();
        }
    }

    static float[] random(Random rnd, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) rnd.nextGaussian();
        }
        return a;
    }

    /** A weight matrix in {@code type}'s file layout, as a memory-mapped weight would be. */
    static Tensor weight(DType type, float[] values, int rows, int cols) {
        MemorySegment seg = arena.allocate(type.byteSize((long) rows * cols), 16);
        for (int r = 0; r < rows; r++) {
            Quantization.encode(type, values, r * cols, cols, seg, r * type.byteSize(cols));
        }
        return Tensor.of(seg, type, rows, cols);
    }

    /** The same activations on each backend. */
    static Tensor on(Backend b, float[] values, int rows, int cols) {
        Tensor t = b.allocate(rows, cols);
        b.copyRows(Tensor.wrap(values.clone(), rows, cols), 0, t, 0, rows);
        return t;
    }

    static void assertClose(float[] expected, float[] actual, String what) {
        assertEquals(expected.length, actual.length, what);
        float scale = 1e-6f;
        for (float v : expected) {
            scale = Math.max(scale, Math.abs(v));
        }
        for (int i = 0; i < expected.length; i++) {
            float diff = Math.abs(expected[i] - actual[i]);
            if (!(diff <= TOLERANCE * scale)) {
                throw new AssertionError(what + ": value " + i + " is " + actual[i] + ", expected " + expected[i]
                        + " (difference " + diff + ", allowed " + TOLERANCE * scale + ")");
            }
        }
    }

    static void assertRowsClose(Tensor expected, Tensor actual, int rows, String what) {
        for (int r = 0; r < rows; r++) {
            assertClose(cpu.readRow(expected, r), cuda.readRow(actual, r), what + ", row " + r);
        }
    }

    @ParameterizedTest
    @EnumSource(DType.class)
    void matmulOfEveryWeightTypeEqualsTheCpuForOneToSeventeenRows(DType type) {
        Random rnd = new Random(type.ordinal());
        int n = type.blockSize() == 256 ? 512 : 96, d = 70;
        Tensor w = weight(type, random(rnd, d * n), d, n);
        for (int rows : new int[] {1, 2, 7, 8, 9, 17}) {
            float[] x = random(rnd, rows * n);
            Tensor expected = cpu.allocate(rows, d);
            cpu.matmul(expected, on(cpu, x, rows, n), w, rows);
            Tensor actual = cuda.allocate(rows, d);
            cuda.matmul(actual, on(cuda, x, rows, n), w, rows);
            assertRowsClose(expected, actual, rows, type + " matmul of " + rows + " rows");
        }
    }

    @Test
    void aMatmulOnHostTensorsWritesItsResultBack() {
        Random rnd = new Random(3);
        float[] w = random(rnd, 5 * 32);
        float[] x = random(rnd, 2 * 32);
        Tensor expected = Tensor.allocate(2, 5);
        cpu.matmul(expected, Tensor.wrap(x.clone(), 2, 32), Tensor.wrap(w, 5, 32), 2);
        Tensor actual = Tensor.allocate(2, 5);
        cuda.matmul(actual, Tensor.wrap(x.clone(), 2, 32), Tensor.wrap(w, 5, 32), 2);
        assertClose(expected.array(), actual.array(), "host matmul");
    }

    @ParameterizedTest
    @EnumSource(DType.class)
    void embeddingDecodesTheTableExactly(DType type) {
        Random rnd = new Random(11);
        int vocab = 40, dim = type.blockSize() == 256 ? 512 : 64;
        Tensor table = weight(type, random(rnd, vocab * dim), vocab, dim);
        int[] tokens = {3, 0, 39, 3, 17};
        Tensor expected = cpu.allocate(tokens.length, dim);
        cpu.embedding(expected, table, tokens, tokens.length);
        Tensor actual = cuda.allocate(tokens.length, dim);
        cuda.embedding(actual, table, tokens, tokens.length);
        for (int r = 0; r < tokens.length; r++) {
            assertArrayEquals(cpu.readRow(expected, r), cuda.readRow(actual, r), type + " row " + r);
        }
        TandemException e = assertThrows(TandemException.class, () -> cuda.embedding(actual, table, new int[] {40}, 1));
        assertTrue(e.getMessage().contains("token id 40"), e.getMessage());
    }

    @Test
    void rmsNormSwigluAddBiasAndSoftmaxEqualTheCpu() {
        Random rnd = new Random(5);
        int rows = 5, cols = 172;
        float[] x = random(rnd, rows * cols);
        float[] y = random(rnd, rows * cols);
        Tensor weight = weight(DType.F32, random(rnd, cols), 1, cols);
        Tensor e = on(cpu, x, rows, cols);
        Tensor a = on(cuda, x, rows, cols);
        cpu.rmsNorm(e, e, weight, rows, 1e-5f);
        cuda.rmsNorm(a, a, weight, rows, 1e-5f);
        assertRowsClose(e, a, rows, "rmsnorm in place");
        cpu.swiglu(e, on(cpu, y, rows, cols), rows);
        cuda.swiglu(a, on(cuda, y, rows, cols), rows);
        assertRowsClose(e, a, rows, "swiglu");
        cpu.add(e, on(cpu, y, rows, cols), rows);
        cuda.add(a, on(cuda, y, rows, cols), rows);
        assertRowsClose(e, a, rows, "add");
        cpu.addBias(e, weight, rows);
        cuda.addBias(a, weight, rows);
        assertRowsClose(e, a, rows, "bias");
        cpu.softmax(e, rows, 100);
        cuda.softmax(a, rows, 100);
        assertRowsClose(e, a, rows, "softmax of the first 100 columns");
    }

    @Test
    void ropeRotatesAdjacentAndHalfSplitPairsLikeTheCpu() {
        Random rnd = new Random(7);
        int rows = 4, heads = 3, hs = 16, cols = heads * hs;
        int[] positions = {0, 5, 6, 127};
        for (Rope rope : new Rope[] {Rope.adjacent(10000f), new Rope(500000f, true, null)}) {
            RopeTable table = new RopeTable(hs, 128, rope);
            float[] x = random(rnd, rows * cols);
            Tensor e = on(cpu, x, rows, cols);
            Tensor a = on(cuda, x, rows, cols);
            cpu.rope(e, rows, cols, positions, table);
            cuda.rope(a, rows, cols, positions, table);
            assertRowsClose(e, a, rows, "rope, half split " + rope.halfSplit());
        }
    }

    @Test
    void argmaxFindsTheFirstLargestValue() {
        float[] x = {1f, 7f, -2f, 7f, 0f, 3f};
        Tensor a = on(cuda, x, 2, 3);
        assertEquals(1, cuda.argmax(a, 0));
        assertEquals(0, cuda.argmax(a, 1));
        Random rnd = new Random(9);
        float[] big = random(rnd, 3 * 1000);
        Tensor e = on(cpu, big, 3, 1000);
        Tensor b = on(cuda, big, 3, 1000);
        assertArrayEquals(new int[] {cpu.argmax(e, 0), cpu.argmax(e, 1), cpu.argmax(e, 2)}, cuda.argmaxRows(b, 0, 3));
    }

    @Test
    void topKOrdersByValueThenIndex() {
        float[] x = {0.5f, 3f, -1f, 3f, 2f, 3f, 0f, 2f};
        Tensor a = on(cuda, x, 1, x.length);
        assertArrayEquals(new int[] {1, 3, 5, 4, 7}, topK(a, 5), "ties keep the lower index first");
        Random rnd = new Random(21);
        float[] big = random(rnd, 2 * 700);
        Tensor b = on(cuda, big, 2, 700);
        int[] top = topK(b, 10);
        for (int j = 0; j < 10; j++) {
            float v = big[top[j]];
            int rank = 0;
            for (int i = 0; i < 700; i++) {
                rank += big[i] > v ? 1 : 0;
            }
            assertEquals(j, rank, "the j-th pick has j larger values above it");
        }
    }

    /** Row 0's top k through the heads path's top-k kernel (a direct launch: the backend uses it after the heads). */
    private static int[] topK(Tensor x, int k) {
        CudaDevice d = cuda.device();
        long idx = d.alloc(4L * k), val = d.alloc(4L * k);
        d.launch("topk_f32", CudaDevice.Dim3.of(1), CudaDevice.Dim3.of(32), 0,
                KernelArgs.of().ptr(x.deviceAddress()).i32(x.cols()).i32(x.cols()).i32(k).ptr(idx).ptr(val).ptr(0));
        int[] out = new int[k];
        d.download(MemorySegment.ofArray(out), idx, 4L * k);
        d.free(idx);
        d.free(val);
        return out;
    }

    @Test
    void greedyAcceptanceOnTheDeviceEqualsTheBackendDefaultOnRandomTrees() {
        Random rnd = new Random(31);
        int vocab = 50;
        for (int trial = 0; trial < 40; trial++) {
            int n = 1 + rnd.nextInt(20);
            float[] logits = random(rnd, n * vocab);
            int[] parents = new int[n];
            int[] tokens = new int[n];
            parents[0] = -1;
            Tensor host = Tensor.wrap(logits.clone(), n, vocab);
            for (int r = 1; r < n; r++) {
                parents[r] = rnd.nextInt(r);
                // half the rows carry their parent's argmax, so accepted paths go deep
                tokens[r] = rnd.nextBoolean() ? cpu.argmax(host, parents[r]) : rnd.nextInt(vocab);
            }
            int[] expected = cpu.acceptGreedy(host, tokens, parents);
            assertArrayEquals(expected, cuda.acceptGreedy(on(cuda, logits, n, vocab), tokens, parents), "trial " + trial);
        }
    }

    @Test
    void treeAttentionWithGroupedHeadsEqualsTheCpu() {
        Random rnd = new Random(13);
        AttentionShape shape = new AttentionShape(6, 2, 16);
        int slots = 300, cached = 200; // 200 cached positions: two chunks of the online softmax
        int[] parents = {-1, 0, 0, 1, 2, 3, 3, 6};
        TreeMask mask = TreeMask.of(parents);
        int rows = parents.length;
        Tensor ek = cpu.allocateKeys(slots, shape.kvDim()), ev = cpu.allocateValues(slots, shape.kvDim());
        Tensor ak = cuda.allocateKeys(slots, shape.kvDim()), av = cuda.allocateValues(slots, shape.kvDim());
        float[] k = random(rnd, (cached + rows) * shape.kvDim());
        float[] v = random(rnd, (cached + rows) * shape.kvDim());
        cpu.storeKv(ek, ev, on(cpu, k, cached + rows, shape.kvDim()), on(cpu, v, cached + rows, shape.kvDim()), 0, cached + rows);
        cuda.storeKv(ak, av, on(cuda, k, cached + rows, shape.kvDim()), on(cuda, v, cached + rows, shape.kvDim()), 0, cached + rows);
        float[] q = random(rnd, rows * shape.dim());
        Tensor e = cpu.allocate(rows, shape.dim());
        Tensor a = cuda.allocate(rows, shape.dim());
        cpu.attention(e, on(cpu, q, rows, shape.dim()), ek, ev, cached, mask, shape);
        cuda.attention(a, on(cuda, q, rows, shape.dim()), ak, av, cached, mask, shape);
        assertRowsClose(e, a, rows, "tree attention");

        // keep the path 0 -> 2 -> 4 and check the compacted cache attends as the CPU's does
        int[] from = {cached + 2, cached + 4}, to = {cached + 1, cached + 2};
        cpu.compactKv(ek, ev, from, to);
        cuda.compactKv(ak, av, from, to);
        TreeMask chain = TreeMask.chain(1);
        Tensor e1 = cpu.allocate(1, shape.dim());
        Tensor a1 = cuda.allocate(1, shape.dim());
        float[] q1 = java.util.Arrays.copyOf(q, shape.dim());
        cpu.attention(e1, on(cpu, q1, 1, shape.dim()), ek, ev, cached + 3, chain, shape);
        cuda.attention(a1, on(cuda, q1, 1, shape.dim()), ak, av, cached + 3, chain, shape);
        assertRowsClose(e1, a1, 1, "attention after compaction");
    }

    @Test
    void deviceTensorsCannotBeReadFromTheHostDirectly() {
        Tensor t = cuda.allocate(1, 4);
        TandemException e = assertThrows(TandemException.class, () -> t.get(0, 0));
        assertTrue(e.getMessage().contains("Backend.readRow"), e.getMessage());
        assertArrayEquals(new float[4], cuda.readRow(t, 0), "allocate zeroes");
    }
}
