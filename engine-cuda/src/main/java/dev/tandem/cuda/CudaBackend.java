package dev.tandem.cuda;

import dev.tandem.core.AttentionShape;
import dev.tandem.core.Backend;
import dev.tandem.core.DType;
import dev.tandem.core.HeadsOnDevice;
import dev.tandem.core.RopeTable;
import dev.tandem.core.TandemException;
import dev.tandem.core.Tensor;
import dev.tandem.core.TreeMask;
import dev.tandem.cuda.CudaDevice.Dim3;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * The forward pass on a CUDA device: activations and the KV cache live in device memory, weights are
 * uploaded once in their file layout (quantized blocks kept) and each {@link Backend} op is one kernel
 * launch or device copy. The device is behind {@link CudaDevice}, so this step logic runs unchanged on a
 * GPU or on the CPU emulation.
 *
 * <p>Host tensors are accepted everywhere, so decoding code that hands in its own arrays (decoding heads)
 * runs unchanged: memory-mapped weights are uploaded on first use and kept; heap tensors are copied in for
 * the op and, when written, copied back. Ops are serialised: the staging buffer is shared.
 */
public final class CudaBackend implements Backend, HeadsOnDevice {
    private static final int THREADS = 128;
    private static final int MATMUL_WARPS = 4; // matmul.cu's MATMUL_WARPS and MATMUL_TILE
    private static final int MATMUL_TILE = 8;
    private static final int ATT_MAX_ROWS = 1024; // attention.cu
    private static final int ATT_MAX_HEAD = 256;

    private final CudaDevice device;
    private final Map<Tensor, Long> weights = new IdentityHashMap<>();
    private final Map<RopeKey, long[]> ropeTables = new HashMap<>();
    private final List<Long> allocations = new ArrayList<>();
    private final Staging staging;
    private long uploadedWeightBytes;
    private boolean closed;

    /** On {@code device}, with CUDA graphs unless {@code -Dtandem.cuda.graphs=false}. */
    public CudaBackend(CudaDevice device) {
        this(device, GraphedDevice.enabledByDefault());
    }

    /**
     * On {@code device}; with {@code graphs}, each run of ops up to a result the host reads (a decode step's
     * whole forward pass and its read-back) is launched as one CUDA graph ({@link GraphedDevice}).
     */
    public CudaBackend(CudaDevice device, boolean graphs) {
        this.device = graphs ? new GraphedDevice(device) : device;
        this.staging = new Staging(this.device);
    }

    /** The backend on the emulated device (CPU), for tests and for kernel work without a GPU. */
    public static CudaBackend emulated() {
        return new CudaBackend(EmulatedDevice.open());
    }

    /** The device ops go to: the graphed device when graphs are on (its synchronize runs what is recorded). */
    public CudaDevice device() {
        return device;
    }

    /** What the CUDA graphs did so far, or null when this backend launches op by op. */
    public GraphedDevice.Stats graphStats() {
        return device instanceof GraphedDevice g ? g.stats() : null;
    }

    /** Bytes of weights uploaded so far (each weight once). */
    public synchronized long uploadedWeightBytes() {
        return uploadedWeightBytes;
    }

    @Override
    public String name() {
        return "cuda (" + device.name() + ")";
    }

    @Override
    public synchronized Tensor allocate(int rows, int cols) {
        long bytes = 4L * rows * cols;
        long address = device.alloc(bytes);
        allocations.add(address);
        device.memset(address, 0, bytes);
        return Tensor.onDevice(this, address, DType.F32, rows, cols);
    }

    @Override
    public synchronized void embedding(Tensor out, Tensor table, int[] tokens, int rows) {
        for (int r = 0; r < rows; r++) {
            if (tokens[r] < 0 || tokens[r] >= table.rows()) {
                throw new TandemException("token id " + tokens[r] + " is outside the vocabulary (0.." + (table.rows() - 1) + ")");
            }
        }
        if (rows == 0) {
            return;
        }
        Ops ops = new Ops();
        launchEmbedding(ops.write(out), table, ops.ints(tokens, rows), rows);
        ops.finish();
    }

    private void launchEmbedding(long out, Tensor table, long tokens, int rows) {
        device.launch("embedding_" + suffix(table.dtype()), Dim3.of(rows), Dim3.of(THREADS), 0,
                KernelArgs.of().ptr(out).ptr(weight(table)).ptr(tokens).i32(table.cols()));
    }

    @Override
    public synchronized void rmsNorm(Tensor out, Tensor x, Tensor weight, int rows, float eps) {
        if (rows == 0) {
            return;
        }
        requireF32(weight, "an RMSNorm weight");
        Ops ops = new Ops();
        long xa = ops.write(x);
        long o = out == x ? xa : ops.write(out);
        device.launch("rmsnorm_f32", Dim3.of(rows), Dim3.of(THREADS), 0,
                KernelArgs.of().ptr(o).ptr(xa).ptr(weight(weight)).i32(x.cols()).f32(eps));
        ops.finish();
    }

    @Override
    public synchronized void matmul(Tensor out, Tensor x, Tensor w, int rows) {
        int n = w.cols();
        int d = w.rows();
        if (x.cols() != n || out.cols() != d) {
            throw new IllegalArgumentException("matmul shapes: x has " + x.cols() + " cols, w is " + d + "x" + n
                    + ", out has " + out.cols() + " cols");
        }
        if ((w.dtype() == DType.F16 || w.dtype() == DType.BF16) && n % 2 != 0) {
            throw new TandemException("the CUDA " + w.dtype() + " matmul reads value pairs; a row of " + n + " is odd");
        }
        if (rows == 0) {
            return;
        }
        Ops ops = new Ops();
        long xa = ops.read(x);
        launchMatmul(ops.write(out), xa, w, rows);
        ops.finish();
    }

    private void launchMatmul(long out, long x, Tensor w, int rows) {
        int d = w.rows();
        device.launch("matmul_" + suffix(w.dtype()), Dim3.of(ceil(d, MATMUL_WARPS) * ceil(rows, MATMUL_TILE)),
                Dim3.of(32 * MATMUL_WARPS), 0, KernelArgs.of().ptr(out).ptr(x).ptr(weight(w)).i32(rows).i32(w.cols()).i32(d));
    }

    @Override
    public synchronized void rope(Tensor x, int rows, int cols, int[] positions, RopeTable table) {
        for (int r = 0; r < rows; r++) {
            if (positions[r] < 0 || positions[r] >= table.maxPositions()) {
                throw new TandemException("position " + positions[r] + " is outside the context of " + table.maxPositions());
            }
        }
        if (rows == 0) {
            return;
        }
        long[] cosSin = ropeTable(table);
        Ops ops = new Ops();
        long xa = ops.write(x);
        device.launch("rope_f32", Dim3.of(rows), Dim3.of(THREADS), 0, KernelArgs.of().ptr(xa).i32(x.cols()).i32(cols)
                .ptr(ops.ints(positions, rows)).ptr(cosSin[0]).ptr(cosSin[1]).i32(table.headSize()).i32(table.halfSplit() ? 1 : 0));
        ops.finish();
    }

    @Override
    public synchronized void swiglu(Tensor gate, Tensor up, int rows) {
        elementwise("swiglu_f32", gate, up, rows);
    }

    @Override
    public synchronized void add(Tensor x, Tensor y, int rows) {
        elementwise("add_f32", x, y, rows);
    }

    private void elementwise(String kernel, Tensor x, Tensor y, int rows) {
        int n = rows * x.cols();
        if (n == 0) {
            return;
        }
        Ops ops = new Ops();
        long ya = ops.read(y);
        long xa = ops.write(x);
        device.launch(kernel, gridFor(n), Dim3.of(256), 0, KernelArgs.of().ptr(xa).ptr(ya).i32(n));
        ops.finish();
    }

    @Override
    public synchronized void addBias(Tensor x, Tensor bias, int rows) {
        requireF32(bias, "a bias");
        int n = rows * x.cols();
        if (n == 0) {
            return;
        }
        Ops ops = new Ops();
        long xa = ops.write(x);
        device.launch("add_bias_f32", gridFor(n), Dim3.of(256), 0,
                KernelArgs.of().ptr(xa).ptr(weight(bias)).i32(rows).i32(x.cols()));
        ops.finish();
    }

    @Override
    public synchronized void copyRows(Tensor src, int srcRow, Tensor dst, int dstRow, int rows) {
        long bytes = 4L * rows * src.cols();
        if (bytes == 0) {
            return;
        }
        long from = 4L * srcRow * src.cols();
        long to = 4L * dstRow * dst.cols();
        boolean srcHere = mine(src);
        boolean dstHere = mine(dst);
        if (srcHere && dstHere) {
            device.copy(dst.deviceAddress() + to, src.deviceAddress() + from, bytes);
        } else if (dstHere) {
            device.upload(dst.deviceAddress() + to, hostSegment(src).asSlice(from, bytes), bytes);
        } else if (srcHere) {
            device.download(hostArraySegment(dst).asSlice(to, bytes), src.deviceAddress() + from, bytes);
        } else {
            MemorySegment.copy(hostSegment(src), from, hostArraySegment(dst), to, bytes);
        }
    }

    @Override
    public Tensor allocateKeys(int slots, int kvDim) {
        return allocate(slots, kvDim); // [slot][kvDim], like the values: attention.cu reads both that way
    }

    @Override
    public Tensor allocateValues(int slots, int kvDim) {
        return allocate(slots, kvDim);
    }

    @Override
    public synchronized void storeKv(Tensor keyCache, Tensor valueCache, Tensor k, Tensor v, int firstSlot, int rows) {
        if (rows == 0) {
            return;
        }
        if (k.cols() != keyCache.cols() || v.cols() != valueCache.cols() || k.cols() != v.cols()) {
            throw new IllegalArgumentException("kv rows of " + k.cols() + " and " + v.cols() + " for caches of " + keyCache.cols()
                    + " and " + valueCache.cols());
        }
        // one launch whose slot is read on the device: the same launch at every position (graphs relaunch it as it is)
        Ops ops = new Ops();
        long ka = ops.read(k), va = ops.read(v);
        device.launch("kv_store_f32", Dim3.of(rows), Dim3.of(THREADS), 0, KernelArgs.of().ptr(ops.write(keyCache))
                .ptr(ops.write(valueCache)).ptr(ka).ptr(va).ptr(ops.ints(new int[] {firstSlot}, 1)).i32(k.cols()));
        ops.finish();
    }

    @Override
    public synchronized void moveKv(Tensor keyCache, Tensor valueCache, int from, int to) {
        compactKv(keyCache, valueCache, new int[] {from}, new int[] {to});
    }

    @Override
    public synchronized void compactKv(Tensor keyCache, Tensor valueCache, int[] from, int[] to) {
        if (from.length == 0) {
            return;
        }
        Ops ops = new Ops();
        device.launch("kv_compact_f32", Dim3.of(1), Dim3.of(THREADS), 0, KernelArgs.of().ptr(ops.write(keyCache))
                .ptr(ops.write(valueCache)).ptr(ops.ints(from, from.length)).ptr(ops.ints(to, to.length))
                .i32(from.length).i32(keyCache.cols()));
        ops.finish();
    }

    @Override
    public synchronized void attention(Tensor out, Tensor q, Tensor keyCache, Tensor valueCache, int cached,
                                       TreeMask mask, AttentionShape shape) {
        int rows = mask.size();
        if (rows > ATT_MAX_ROWS || shape.headSize() > ATT_MAX_HEAD) {
            throw new TandemException("the CUDA attention kernel takes at most " + ATT_MAX_ROWS + " rows and head size "
                    + ATT_MAX_HEAD + "; got " + rows + " rows of head size " + shape.headSize());
        }
        if (rows == 0) {
            return;
        }
        Ops ops = new Ops();
        long qa = ops.read(q);
        long o = ops.write(out);
        device.launch("attention_tree_f32", Dim3.of(shape.heads(), rows), Dim3.of(THREADS), 0, KernelArgs.of()
                .ptr(o).ptr(qa).ptr(ops.read(keyCache)).ptr(ops.read(valueCache)).ptr(ops.ints(mask.parents(), rows))
                .ptr(ops.ints(new int[] {cached}, 1)).i32(shape.heads()).i32(shape.kvHeads()).i32(shape.headSize()));
        ops.finish();
    }

    @Override
    public synchronized void softmax(Tensor x, int rows, int cols) {
        if (rows == 0) {
            return;
        }
        Ops ops = new Ops();
        long xa = ops.write(x);
        device.launch("softmax_f32", Dim3.of(rows), Dim3.of(THREADS), 0, KernelArgs.of().ptr(xa).i32(x.cols()).i32(cols));
        ops.finish();
    }

    @Override
    public synchronized int argmax(Tensor x, int row) {
        return argmaxRows(x, row, 1)[0];
    }

    /** Argmax of rows {@code first .. first + count - 1} in one launch, one int per row back to the host. */
    public synchronized int[] argmaxRows(Tensor x, int first, int count) {
        Ops ops = new Ops();
        long result = ops.scratch(4L * count);
        launchArgmax(ops.read(x) + 4L * first * x.cols(), x.cols(), count, result);
        int[] out = new int[count];
        device.download(MemorySegment.ofArray(out), result, 4L * count);
        ops.finish();
        return out;
    }

    private void launchArgmax(long x, int cols, int rows, long out) {
        device.launch("argmax_f32", Dim3.of(rows), Dim3.of(32), 0, KernelArgs.of().ptr(x).i32(cols).i32(cols).ptr(out));
    }

    /** {@inheritDoc} Here: every row's argmax in one launch, then the walk in another; n + 2 ints come back. */
    @Override
    public synchronized int[] acceptGreedy(Tensor logits, int[] tokens, int[] parents) {
        int n = parents.length;
        if (n < 1 || n > 64 || tokens.length != n) {
            throw new IllegalArgumentException("a tree of 1 to 64 rows with a token per row, got " + n + " parents and " + tokens.length + " tokens");
        }
        Ops ops = new Ops();
        long argmax = ops.scratch(4L * n);
        long out = ops.scratch(4L * (n + 2));
        launchArgmax(ops.read(logits), logits.cols(), n, argmax);
        device.launch("accept_greedy", Dim3.of(1), Dim3.of(1), 0, KernelArgs.of().ptr(argmax).ptr(ops.ints(tokens, n))
                .ptr(ops.ints(parents, n)).i32(n).ptr(out));
        int[] result = new int[n + 2];
        device.download(MemorySegment.ofArray(result), out, 4L * result.length);
        ops.finish();
        return Arrays.copyOf(result, result[0] + 2);
    }

    /** A stack of decoding heads in device memory: W {@code [heads][dim][in]}, b {@code [heads][dim]}. */
    public record DeviceHeads(long w, long b, int heads, int dim, int in, boolean cerberus) {}

    /**
     * Uploads Medusa ({@code in = dim}) or Cerberus ({@code in = 3 dim}) heads once; freed with the backend.
     * {@code w[k]} is head k's {@code dim x in} matrix row-major, {@code b[k]} its bias.
     */
    @Override
    public synchronized DeviceHeads uploadHeads(float[][] w, float[][] b, int dim, boolean cerberus) {
        int heads = w.length;
        int in = cerberus ? 3 * dim : dim;
        long wa = device.alloc(4L * heads * dim * in);
        long ba = device.alloc(4L * heads * dim);
        allocations.add(wa);
        allocations.add(ba);
        for (int k = 0; k < heads; k++) {
            if (w[k].length != dim * in || b[k].length != dim) {
                throw new IllegalArgumentException("head " + k + " is not " + dim + " x " + in + " with a bias of " + dim);
            }
            device.upload(wa + 4L * k * dim * in, MemorySegment.ofArray(w[k]), 4L * dim * in);
            device.upload(ba + 4L * k * dim, MemorySegment.ofArray(b[k]), 4L * dim);
        }
        return new DeviceHeads(wa, ba, heads, dim, in, cerberus);
    }

    /**
     * {@inheritDoc} Medusa: all residual blocks in one launch, the shared classifier over all heads in one, top-k in one.
     * Cerberus: per head a block, the classifier and an argmax whose token feeds the next head's embedding
     * without leaving the device; then one top-k launch. Only the top-k comes back.
     */
    @Override
    public synchronized TopTokens headsTopK(Object handle, float[] h, int pending, Tensor classifier, Tensor embedding, int k) {
        if (!(handle instanceof DeviceHeads heads)) {
            throw new IllegalArgumentException("heads not uploaded to this backend");
        }
        int dim = heads.dim(), n = heads.heads(), vocab = classifier.rows();
        if (h.length != dim || classifier.cols() != dim || embedding.cols() != dim || k < 1 || k > Math.min(64, vocab)) {
            throw new IllegalArgumentException("heads of width " + dim + ": h has " + h.length + ", classifier " + classifier.cols()
                    + " columns, k = " + k);
        }
        Ops ops = new Ops();
        long hd = ops.staged(h);
        long z = ops.scratch(4L * n * dim);
        long logits = ops.scratch(4L * n * vocab);
        Dim3 grid = Dim3.of(ceil(dim, THREADS / 32), heads.cerberus() ? 1 : n);
        if (!heads.cerberus()) {
            device.launch("heads_block_f32", grid, Dim3.of(THREADS), 0, KernelArgs.of().ptr(z).ptr(hd).ptr(hd).ptr(hd).ptr(hd)
                    .ptr(heads.w()).ptr(heads.b()).i32(dim).i32(dim).i32(0));
            launchMatmul(logits, z, classifier, n);
        } else {
            long prev = ops.ints(new int[] {pending}, 1);
            long tokens = ops.scratch(4L * n);
            device.copy(tokens, prev, 4);
            long e = ops.scratch(4L * dim);
            for (int head = 0; head < n; head++) {
                launchEmbedding(e, embedding, tokens + 4L * head, 1);
                long zPrev = head == 0 ? hd : z + 4L * (head - 1) * dim;
                device.launch("heads_block_f32", grid, Dim3.of(THREADS), 0, KernelArgs.of().ptr(z).ptr(hd).ptr(hd).ptr(zPrev).ptr(e)
                        .ptr(heads.w()).ptr(heads.b()).i32(dim).i32(3 * dim).i32(head));
                launchMatmul(logits + 4L * head * vocab, z + 4L * head * dim, classifier, 1);
                if (head + 1 < n) {
                    launchArgmax(logits + 4L * head * vocab, vocab, 1, tokens + 4L * (head + 1));
                }
            }
        }
        long idx = ops.scratch(4L * n * k);
        long val = ops.scratch(4L * n * k);
        long lse = ops.scratch(4L * n);
        device.launch("topk_f32", Dim3.of(n), Dim3.of(32), 0,
                KernelArgs.of().ptr(logits).i32(vocab).i32(vocab).i32(k).ptr(idx).ptr(val).ptr(lse));
        int[] flatIdx = new int[n * k];
        float[] flatVal = new float[n * k];
        float[] logSumExp = new float[n];
        device.download(MemorySegment.ofArray(flatIdx), idx, 4L * n * k);
        device.download(MemorySegment.ofArray(flatVal), val, 4L * n * k);
        device.download(MemorySegment.ofArray(logSumExp), lse, 4L * n);
        ops.finish();
        int[][] tokensOut = new int[n][];
        float[][] probs = new float[n][k];
        for (int head = 0; head < n; head++) {
            tokensOut[head] = Arrays.copyOfRange(flatIdx, head * k, head * k + k);
            for (int j = 0; j < k; j++) {
                probs[head][j] = (float) Math.exp(flatVal[head * k + j] - logSumExp[head]);
            }
        }
        return new TopTokens(tokensOut, probs);
    }

    @Override
    public synchronized float[] readRow(Tensor x, int row) {
        if (!mine(x)) {
            return x.row(row);
        }
        float[] out = new float[x.cols()];
        device.download(MemorySegment.ofArray(out), x.deviceAddress() + 4L * row * x.cols(), 4L * x.cols());
        return out;
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        device.synchronize();
        for (long a : allocations) {
            device.free(a);
        }
        for (long a : weights.values()) {
            device.free(a);
        }
        for (long[] t : ropeTables.values()) {
            device.free(t[0]);
            device.free(t[1]);
        }
        staging.close();
        device.close();
    }

    // --- where operands live ---------------------------------------------------------------------------

    private boolean mine(Tensor t) {
        if (t.deviceOwner() == null) {
            return false;
        }
        if (t.deviceOwner() != this) {
            throw new TandemException("a tensor of " + t.deviceOwner().name() + " was passed to another backend, " + name());
        }
        return true;
    }

    /** A weight's device copy: uploaded on first use if memory-mapped (immutable), for this op if on the heap. */
    private long weight(Tensor w) {
        if (mine(w)) {
            return w.deviceAddress();
        }
        if (w.array() != null) {
            return staging.upload(w.segment(), 4L * w.rows() * w.cols());
        }
        Long address = weights.get(w);
        if (address == null) {
            long bytes = w.segment().byteSize();
            address = device.alloc(bytes);
            device.upload(address, w.segment(), bytes);
            weights.put(w, address);
            uploadedWeightBytes += bytes;
        }
        return address;
    }

    private long[] ropeTable(RopeTable table) {
        RopeKey key = RopeKey.of(table);
        return ropeTables.computeIfAbsent(key, k -> {
            int half = table.headSize() / 2;
            float[] cos = new float[table.maxPositions() * half];
            float[] sin = new float[cos.length];
            for (int pos = 0; pos < table.maxPositions(); pos++) {
                for (int i = 0; i < half; i++) {
                    cos[pos * half + i] = table.cos(pos, i);
                    sin[pos * half + i] = table.sin(pos, i);
                }
            }
            long c = device.alloc(4L * cos.length);
            long s = device.alloc(4L * sin.length);
            device.upload(c, MemorySegment.ofArray(cos), 4L * cos.length);
            device.upload(s, MemorySegment.ofArray(sin), 4L * sin.length);
            return new long[] {c, s};
        });
    }

    /** Tables are equal when their shape and their last position's angles are: those fix theta and the factors. */
    private record RopeKey(int headSize, int maxPositions, boolean halfSplit, List<Float> lastAngles) {
        static RopeKey of(RopeTable t) {
            int half = t.headSize() / 2;
            Float[] last = new Float[2 * half];
            for (int i = 0; i < half; i++) {
                last[i] = t.cos(t.maxPositions() - 1, i);
                last[half + i] = t.sin(t.maxPositions() - 1, i);
            }
            return new RopeKey(t.headSize(), t.maxPositions(), t.halfSplit(), Arrays.asList(last));
        }
    }

    private static MemorySegment hostSegment(Tensor t) {
        return t.segment();
    }

    private static MemorySegment hostArraySegment(Tensor t) {
        if (t.array() == null) {
            throw new IllegalArgumentException("cannot write into a memory-mapped weight tensor");
        }
        return t.segment();
    }

    /** The kernel name suffix of a weight type: every type has matmul and embedding kernels (a new one does not compile without). */
    private static String suffix(DType type) {
        return switch (type) {
            case F32 -> "f32";
            case F16 -> "f16";
            case BF16 -> "bf16";
            case Q8_0 -> "q8_0";
            case Q4_0 -> "q4_0";
            case Q4_1 -> "q4_1";
            case Q5_0 -> "q5_0";
            case Q5_1 -> "q5_1";
            case IQ4_NL -> "iq4_nl";
            case Q2_K -> "q2_k";
            case Q3_K -> "q3_k";
            case Q4_K -> "q4_k";
            case Q5_K -> "q5_k";
            case Q6_K -> "q6_k";
        };
    }

    private static void requireF32(Tensor t, String what) {
        if (t.dtype() != DType.F32) {
            throw new TandemException(what + " must be F32, got " + t.dtype());
        }
    }

    private static int ceil(int a, int b) {
        return (a + b - 1) / b;
    }

    private static Dim3 gridFor(int n) {
        return Dim3.of(Math.min(ceil(n, 256), 1024));
    }

    /**
     * One op's operands: device tensors pass through; host tensors get a staging copy, and those the op
     * writes are copied back by {@link #finish}.
     */
    private final class Ops {
        private final List<Runnable> copyBack = new ArrayList<>(2);

        Ops() {
            staging.reset();
        }

        long read(Tensor t) {
            if (mine(t)) {
                return t.deviceAddress();
            }
            long bytes = 4L * t.rows() * t.cols();
            if (t.dtype() != DType.F32) {
                throw new IllegalArgumentException("activation tensors are F32, got " + t.dtype());
            }
            return staging.upload(t.segment(), bytes);
        }

        long write(Tensor t) {
            long address = read(t);
            if (!mine(t)) {
                MemorySegment host = hostArraySegment(t);
                long bytes = 4L * t.rows() * t.cols();
                copyBack.add(() -> device.download(host, address, bytes));
            }
            return address;
        }

        /** Read-only inputs: kernels never write them, so one staged copy may serve several ops of a graph segment. */
        long staged(float[] values) {
            return staging.uploadShared(MemorySegment.ofArray(values), 4L * values.length);
        }

        long ints(int[] values, int count) {
            return staging.uploadShared(MemorySegment.ofArray(values), 4L * count);
        }

        long scratch(long bytes) {
            return staging.take(bytes);
        }

        void finish() {
            for (Runnable r : copyBack) {
                r.run();
            }
        }
    }
}
