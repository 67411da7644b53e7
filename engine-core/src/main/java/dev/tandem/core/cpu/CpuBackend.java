package dev.tandem.core.cpu;

import static dev.tandem.core.cpu.VectorMath.F;
import static dev.tandem.core.cpu.VectorMath.L;

import dev.tandem.core.AttentionShape;
import dev.tandem.core.Backend;
import dev.tandem.core.DType;
import dev.tandem.core.Quantization;
import dev.tandem.core.RopeTable;
import dev.tandem.core.TandemException;
import dev.tandem.core.Tensor;
import dev.tandem.core.TreeMask;
import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;

/**
 * The CPU backend: Vector API kernels over heap activations and memory-mapped weights, with the large
 * matmuls and attentions split over a fixed {@link WorkerPool}. Small ops stay on the caller's thread:
 * on a cache-resident model a hand-off costs more than the op.
 */
public final class CpuBackend implements Backend {
    /**
     * Chunks each thread's share of a one-row matmul is cut into, so that a thread on a faster core takes a slower
     * one's last chunks: decode is where the unequal speeds of a shared machine's cores cost (one-row decode on a
     * 2-core VM, alternated in one JVM: 0.97-1.15x, median 1.09x; 1 for the plain split where cores run evenly). A
     * pass of several rows keeps the pool's default, one chunk a share, except over the integer lane kernels: with
     * four, Q8_0's 4-row passes of verification were 7-13% slower (docs/PERFORMANCE.md, "Work stealing"), while the
     * lane kernels' were faster (Q4_K_M, k=4 over one row 2.52-2.66 against 2.69-2.84, k=16 the same).
     */
    private static final int DECODE_SPLIT = Integer.getInteger("tandem.pool.decodeSplit", 4);

    /**
     * Multiply-adds below which a matmul or an attention stays on one thread: about 20 µs of work, where a
     * hand-off (~1 µs with spinning workers) stops mattering. Measured with bench verify-cost: on stories260K
     * one decoded token stays single-threaded while an 8-row verification splits (cost 7.1x -> 5.0x one row).
     */
    private static final long PARALLEL_MATMUL_MACS = Long.getLong("tandem.parallelMatmulMacs", 1L << 16);
    private static final long PARALLEL_ATTENTION_MACS = Long.getLong("tandem.parallelAttentionMacs", 1L << 16);

    private final WorkerPool pool;
    private final Activations activations;
    /** x rounded to int8, per calling thread (sequences may decode on threads of their own). */
    private final ThreadLocal<RoundedActivations> rounded = ThreadLocal.withInitial(RoundedActivations::new);

    /**
     * How matmuls over Q4_0, Q4_1, Q5_0, Q5_1, IQ4_NL and Q2_K..Q6_K weights take x: rounded to int8 as llama.cpp does
     * (per 32 values for the 32-value blocks, per 256 for the K-quants), for integer products ({@link LaneTiles}: Q4_0
     * decodes 1.5-1.8x faster, Q4_K 2.2-2.9x, Q5_K 2.3-3.0x, Q6_K 1.7-2.1x, Q3_K 2.3x, Q2_K 2.9-3.1x, IQ4_NL 1.26x), or as
     * floats (the CUDA backend's arithmetic, and every other type's). The default is INT8, or FLOAT with
     * {@code -Dtandem.activations=float}.
     */
    public enum Activations {
        INT8, FLOAT;

        static final Activations DEFAULT = "float".equalsIgnoreCase(System.getProperty("tandem.activations")) ? FLOAT : INT8;
    }

    public CpuBackend(int threads) {
        this(threads, Activations.DEFAULT);
    }

    public CpuBackend(int threads, Activations activations) {
        this.pool = new WorkerPool(threads);
        this.activations = activations;
    }

    /** A backend using every available processor. */
    public CpuBackend() {
        this(Runtime.getRuntime().availableProcessors());
    }

    public int threads() {
        return pool.threads();
    }

    @Override
    public String name() {
        return "cpu (" + pool.threads() + " threads, " + F.vectorBitSize() + "-bit vectors)";
    }

    @Override
    public Tensor allocate(int rows, int cols) {
        return Tensor.allocate(rows, cols);
    }

    private static float[] heap(Tensor t) {
        float[] a = t.array();
        if (a == null) {
            throw new IllegalArgumentException("activation tensor must be a heap F32 tensor");
        }
        return a;
    }

    @Override
    public void embedding(Tensor out, Tensor table, int[] tokens, int rows) {
        int dim = table.cols();
        float[] o = heap(out);
        for (int r = 0; r < rows; r++) {
            int token = tokens[r];
            if (token < 0 || token >= table.rows()) {
                throw new TandemException("token id " + token + " is outside the vocabulary (0.." + (table.rows() - 1) + ")");
            }
            Quantization.decode(table.dtype(), table.segment(), token * table.rowBytes(), dim, o, r * out.cols());
        }
    }

    @Override
    public void rmsNorm(Tensor out, Tensor x, Tensor weight, int rows, float eps) {
        float[] xa = heap(x);
        float[] o = heap(out);
        int n = x.cols();
        int upper = F.loopBound(n);
        java.lang.foreign.MemorySegment w = weight.segment();
        for (int r = 0; r < rows; r++) {
            int base = r * n;
            FloatVector acc = FloatVector.zero(F);
            int i = 0;
            for (; i < upper; i += L) {
                FloatVector v = FloatVector.fromArray(F, xa, base + i);
                acc = v.fma(v, acc);
            }
            float ss = VectorMath.sum(acc);
            for (; i < n; i++) {
                ss = Math.fma(xa[base + i], xa[base + i], ss);
            }
            float inv = (float) (1.0 / Math.sqrt(ss / n + eps));
            int ob = r * out.cols();
            i = 0;
            for (; i < upper; i += L) {
                FloatVector wv = FloatVector.fromMemorySegment(F, w, i * 4L, java.nio.ByteOrder.LITTLE_ENDIAN);
                wv.mul(FloatVector.fromArray(F, xa, base + i).mul(inv)).intoArray(o, ob + i);
            }
            for (; i < n; i++) {
                o[ob + i] = weight.get(0, i) * (inv * xa[base + i]);
            }
        }
    }

    @Override
    public void matmul(Tensor out, Tensor x, Tensor w, int rows) {
        MatmulPart part = matmulPart(out, x, w, rows);
        int d = w.rows();
        long macs = (long) rows * w.cols() * d;
        if (macs < PARALLEL_MATMUL_MACS || pool.threads() == 1) {
            part.body().run(0, d);
        } else {
            pool.parallelFor(d, 4, part.chunksAShare(), part.body());
        }
    }

    /**
     * One parallel section over the outputs' features end to end: wk and wv (256 x 2048 in TinyLlama) are a few
     * microseconds of work each, and a section of its own costs a hand-off and a wait for the slower thread's
     * last chunk.
     */
    @Override
    public void matmuls(Tensor[] outs, Tensor x, Tensor[] ws, int rows) {
        long macs = 0;
        boolean quads = true; // every output's features in whole groups of four: no chunk ends inside one
        for (Tensor w : ws) {
            macs += (long) rows * w.cols() * w.rows();
            quads &= w.rows() % 4 == 0;
        }
        if (macs < PARALLEL_MATMUL_MACS || pool.threads() == 1 || !quads) {
            Backend.super.matmuls(outs, x, ws, rows);
            return;
        }
        int count = ws.length, total = 0, split = 1;
        int[] start = new int[count + 1];
        WorkerPool.RangeBody[] bodies = new WorkerPool.RangeBody[count];
        for (int i = 0; i < count; i++) {
            MatmulPart part = matmulPart(outs[i], x, ws[i], rows);
            bodies[i] = part.body();
            split = Math.max(split, part.chunksAShare());
            start[i + 1] = total += ws[i].rows();
        }
        pool.parallelFor(total, 4, split, (j0, j1) -> {
            for (int i = 0; i < count; i++) {
                int lo = Math.max(j0, start[i]), hi = Math.min(j1, start[i + 1]);
                if (lo < hi) {
                    bodies[i].run(lo - start[i], hi - start[i]);
                }
            }
        });
    }

    /**
     * A matmul's body over features {@code [j0, j1)} and the chunks a share of it is cut into: {@link #DECODE_SPLIT} for
     * one-row passes and over the lane kernels, else the pool's default.
     */
    private record MatmulPart(WorkerPool.RangeBody body, int chunksAShare) {}

    /** {@code out = x · w} as a {@link MatmulPart}, x rounded first (once, on this thread) where w's kernels take int8. */
    private MatmulPart matmulPart(Tensor out, Tensor x, Tensor w, int rows) {
        int n = w.cols();
        int d = w.rows();
        if (x.cols() != n || out.cols() != d) {
            throw new IllegalArgumentException("matmul shapes: x has " + x.cols() + " cols, w is " + d + "x" + n
                    + ", out has " + out.cols() + " cols");
        }
        float[] o = heap(out);
        float[] xa = heap(x);
        WeightKernels kernels = WeightKernels.of(w, activations == Activations.INT8, pool);
        MemorySegment ws = w.segment();
        if (kernels instanceof LaneTiles lanes) { // x rounded to int8 once, here, for every thread (and kept for the next matmul of the same x)
            Q8Activations a = rounded.get().of(lanes.layout(), xa, rows, n);
            return new MatmulPart((j0, j1) -> lanes.range(a, o, rows, d, j0, j1), DECODE_SPLIT);
        }
        return new MatmulPart((j0, j1) -> kernels.range(o, xa, rows, ws, n, d, j0, j1), rows == 1 ? DECODE_SPLIT : pool.split());
    }

    @Override
    public void rope(Tensor x, int rows, int cols, int[] positions, RopeTable table) {
        float[] a = heap(x);
        int hs = table.headSize();
        int stride = x.cols();
        for (int r = 0; r < rows; r++) {
            int pos = positions[r];
            if (pos < 0 || pos >= table.maxPositions()) {
                throw new TandemException("position " + pos + " is outside the context of " + table.maxPositions());
            }
            int base = r * stride;
            if (table.halfSplit()) {
                int half = hs / 2;
                for (int h = 0; h < cols; h += hs) {
                    for (int i = 0; i < half; i++) {
                        float c = table.cos(pos, i);
                        float s = table.sin(pos, i);
                        int a0 = base + h + i, a1 = a0 + half;
                        float v0 = a[a0];
                        float v1 = a[a1];
                        a[a0] = v0 * c - v1 * s;
                        a[a1] = v0 * s + v1 * c;
                    }
                }
                continue;
            }
            for (int i = 0; i < cols; i += 2) {
                int pair = (i % hs) / 2;
                float c = table.cos(pos, pair);
                float s = table.sin(pos, pair);
                float v0 = a[base + i];
                float v1 = a[base + i + 1];
                a[base + i] = v0 * c - v1 * s;
                a[base + i + 1] = v0 * s + v1 * c;
            }
        }
    }

    @Override
    public void swiglu(Tensor gate, Tensor up, int rows) {
        float[] g = heap(gate);
        float[] u = heap(up);
        int n = rows * gate.cols();
        FloatVector one = FloatVector.broadcast(F, 1f);
        int i = 0;
        for (int upper = F.loopBound(n); i < upper; i += L) {
            FloatVector v = FloatVector.fromArray(F, g, i);
            FloatVector silu = v.div(one.add(VectorMath.exp(v.neg())));
            silu.mul(FloatVector.fromArray(F, u, i)).intoArray(g, i);
        }
        for (; i < n; i++) {
            float v = g[i];
            g[i] = v / (1f + VectorMath.exp(-v)) * u[i];
        }
    }

    @Override
    public void add(Tensor x, Tensor y, int rows) {
        float[] a = heap(x);
        float[] b = heap(y);
        int n = rows * x.cols();
        int i = 0;
        for (int upper = F.loopBound(n); i < upper; i += L) {
            FloatVector.fromArray(F, a, i).add(FloatVector.fromArray(F, b, i)).intoArray(a, i);
        }
        for (; i < n; i++) {
            a[i] += b[i];
        }
    }

    @Override
    public void addBias(Tensor x, Tensor bias, int rows) {
        if (bias.dtype() != DType.F32) {
            throw new IllegalArgumentException("biases are F32, got " + bias.dtype());
        }
        float[] a = heap(x);
        MemorySegment b = bias.segment(); // read in place: no copy of the bias per call
        int n = x.cols();
        int upper = F.loopBound(n);
        for (int r = 0; r < rows; r++) {
            int base = r * n;
            int i = 0;
            for (; i < upper; i += L) {
                FloatVector.fromArray(F, a, base + i)
                        .add(FloatVector.fromMemorySegment(F, b, i * 4L, java.nio.ByteOrder.LITTLE_ENDIAN)).intoArray(a, base + i);
            }
            for (; i < n; i++) {
                a[base + i] += bias.get(0, i);
            }
        }
    }

    @Override
    public void copyRows(Tensor src, int srcRow, Tensor dst, int dstRow, int rows) {
        int cols = src.cols();
        System.arraycopy(heap(src), srcRow * cols, heap(dst), dstRow * dst.cols(), rows * cols);
    }

    @Override
    public Tensor allocateKeys(int slots, int kvDim) {
        return Tensor.allocate(kvDim, slots); // transposed: a head dimension's keys are contiguous over positions
    }

    @Override
    public Tensor allocateValues(int slots, int kvDim) {
        return Tensor.allocate(slots, kvDim);
    }

    @Override
    public void storeKv(Tensor keyCache, Tensor valueCache, Tensor k, Tensor v, int firstSlot, int rows) {
        float[] kt = heap(keyCache);
        float[] ka = heap(k);
        int slots = keyCache.cols();
        int kvDim = keyCache.rows();
        for (int r = 0; r < rows; r++) {
            int slot = firstSlot + r;
            for (int j = 0; j < kvDim; j++) {
                kt[j * slots + slot] = ka[r * k.cols() + j];
            }
        }
        copyRows(v, 0, valueCache, firstSlot, rows);
    }

    @Override
    public void moveKv(Tensor keyCache, Tensor valueCache, int from, int to) {
        float[] kt = heap(keyCache);
        int slots = keyCache.cols();
        for (int j = 0; j < keyCache.rows(); j++) {
            kt[j * slots + to] = kt[j * slots + from];
        }
        copyRows(valueCache, from, valueCache, to, 1);
    }

    @Override
    public void attention(Tensor out, Tensor q, Tensor keyCache, Tensor valueCache, int cached, TreeMask mask,
                          AttentionShape shape) {
        float[] o = heap(out);
        float[] qa = heap(q);
        float[] k = heap(keyCache);
        float[] v = heap(valueCache);
        int slots = keyCache.cols();
        int units = mask.size() * shape.heads();
        long macs = (long) units * (cached + mask.size()) * shape.headSize() * 2;
        if (macs < PARALLEL_ATTENTION_MACS || pool.threads() == 1) {
            TreeAttention.range(o, qa, k, v, slots, cached, mask, shape, 0, units);
        } else {
            pool.parallelFor(units, 1, (u0, u1) -> TreeAttention.range(o, qa, k, v, slots, cached, mask, shape, u0, u1));
        }
    }

    @Override
    public void softmax(Tensor x, int rows, int cols) {
        float[] a = heap(x);
        for (int r = 0; r < rows; r++) {
            Softmax.inPlace(a, r * x.cols(), cols);
        }
    }

    @Override
    public int argmax(Tensor x, int row) {
        float[] a = heap(x);
        int base = row * x.cols();
        int best = 0;
        float bestValue = a[base];
        for (int i = 1; i < x.cols(); i++) {
            if (a[base + i] > bestValue) {
                bestValue = a[base + i];
                best = i;
            }
        }
        return best;
    }

    @Override
    public float[] readRow(Tensor x, int row) {
        return x.row(row);
    }

    @Override
    public void close() {
        pool.close();
    }
}
