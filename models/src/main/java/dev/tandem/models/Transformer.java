package dev.tandem.models;

import dev.tandem.core.AttentionShape;
import dev.tandem.core.Backend;
import dev.tandem.core.RopeTable;
import dev.tandem.core.TandemException;
import dev.tandem.core.Tensor;
import dev.tandem.core.TreeMask;

/**
 * A Llama-family transformer with its own KV cache. {@link #forward} is the only forward pass: it runs n
 * new tokens (a chain or a token tree) at once, reading each weight once for all of them. Not thread-safe:
 * one transformer per generation; many may share one {@link Model}.
 */
public final class Transformer {
    public static final int DEFAULT_MAX_BATCH = 64;

    private final Model model;
    private final int layers; // layers run: all, or the first few when this is a self-draft of the model
    private final LlamaConfig c;
    private final LlamaWeights w;
    private final Backend backend;
    private final KvCache cache;
    private final RopeTable rope;
    private final AttentionShape shape;

    // activations, one row per batch token
    private final Tensor x;      // residual stream
    private final Tensor xb;     // normed input of a sub-block
    private final Tensor xb2;    // output of a sub-block before the residual add
    private final Tensor q;
    private final Tensor k;
    private final Tensor v;
    private final Tensor att;    // attention output, before wo
    private final Tensor hb;     // ffn gate (w1), then silu(gate) * up
    private final Tensor hb2;    // ffn up (w3)
    private final Tensor logits;
    private volatile ForwardBatcher batcher; // null: forward passes run alone

    public Transformer(Model model, Backend backend) {
        this(model, backend, DEFAULT_MAX_BATCH);
    }

    public Transformer(Model model, Backend backend, int maxBatch) {
        this(model, backend, maxBatch, model.config().layers());
    }

    /**
     * A transformer that runs only the first {@code layers} layers, then the final norm and classifier:
     * the model's own cheap draft (self-speculation), sharing its weights.
     */
    public Transformer(Model model, Backend backend, int maxBatch, int layers) {
        if (maxBatch < 1) {
            throw new IllegalArgumentException("maxBatch must be >= 1");
        }
        if (layers < 1 || layers > model.config().layers()) {
            throw new dev.tandem.core.TandemException("cannot run " + layers + " layers of a model with "
                    + model.config().layers());
        }
        this.model = model;
        this.layers = layers;
        this.c = model.config();
        this.w = model.weights();
        this.backend = backend;
        this.cache = new KvCache(backend, c, layers, maxBatch);
        this.rope = new RopeTable(c.headSize(), c.contextLength(), c.rope());
        this.shape = c.attentionShape();
        this.x = backend.allocate(maxBatch, c.dim());
        this.xb = backend.allocate(maxBatch, c.dim());
        this.xb2 = backend.allocate(maxBatch, c.dim());
        this.q = backend.allocate(maxBatch, c.dim());
        this.k = backend.allocate(maxBatch, c.kvDim());
        this.v = backend.allocate(maxBatch, c.kvDim());
        this.att = backend.allocate(maxBatch, c.dim());
        this.hb = backend.allocate(maxBatch, c.hiddenDim());
        this.hb2 = backend.allocate(maxBatch, c.hiddenDim());
        this.logits = backend.allocate(maxBatch, c.vocabSize());
    }

    public Model model() {
        return model;
    }

    public LlamaConfig config() {
        return c;
    }

    /** Layers this transformer runs. */
    public int layers() {
        return layers;
    }

    public KvCache cache() {
        return cache;
    }

    public Backend backend() {
        return backend;
    }

    /**
     * Lets this transformer's forward passes run together with other sequences' in the batcher's batched
     * passes (continuous batching); the results are bitwise those of running alone. Returns this.
     */
    public Transformer batchedBy(ForwardBatcher batcher) {
        this.batcher = batcher;
        return this;
    }

    RopeTable ropeTable() {
        return rope;
    }

    Tensor logitsBuffer() {
        return logits;
    }

    Tensor residualBuffer() {
        return x;
    }

    /**
     * Runs the batch on top of the committed cache. Its keys and values land in scratch rows; call
     * {@code cache().commit(...)} with the rows to keep.
     */
    public ForwardResult forward(Batch batch) {
        ForwardBatcher b = batcher;
        if (b != null && b.takes(this, batch)) {
            return b.forward(this, batch);
        }
        int n = batch.size();
        TreeMask realMask = batch.mask();
        TreeMask mask = batch.fullMask();
        Batch.Transfer transfer = batch.transfer();
        int rowsAll = mask.size();
        int maxDepth = 0;
        for (int i = 0; i < rowsAll; i++) {
            maxDepth = Math.max(maxDepth, mask.depth(i));
        }
        cache.checkFits(rowsAll, maxDepth);
        int cached = cache.length();
        int[] positions = new int[rowsAll];
        for (int i = 0; i < rowsAll; i++) {
            positions[i] = cached + mask.depth(i);
        }
        int vocab = c.vocabSize();
        for (int i = 0; i < n; i++) {
            int t = batch.token(i);
            if (t < 0 || t >= vocab) {
                throw new TandemException("token id " + t + " is outside the model's vocabulary of " + vocab);
            }
        }
        Tensor captured = null;

        backend.embedding(x, w.tokenEmbedding(), batch.tokens(), n);

        for (int l = 0; l < layers; l++) {
            if (l == batch.captureLayer()) {
                captured = backend.allocate(n, c.dim());
                backend.copyRows(x, 0, captured, 0, n);
            }
            if (transfer != null && l == transfer.layer()) {
                // Hidden Transfer: pseudo states of future tokens join the residual stream here
                float[][] pseudo = transfer.fn().apply(backend.readRow(x, transfer.anchor()));
                for (int i = 0; i < transfer.count(); i++) {
                    backend.copyRows(Tensor.wrap(pseudo[i], 1, c.dim()), 0, x, n + i, 1);
                }
            }
            boolean all = transfer != null && l >= transfer.layer();
            int rows = all ? rowsAll : n;
            TreeMask lm = all ? mask : realMask;
            LayerWeights lw = w.layers().get(l);

            // attention: qkv, rotate, stash k/v in the cache's scratch rows, attend over cache + ancestors
            backend.rmsNorm(xb, x, lw.attentionNorm(), rows, c.normEps());
            backend.matmul(q, xb, lw.wq(), rows);
            backend.matmul(k, xb, lw.wk(), rows);
            backend.matmul(v, xb, lw.wv(), rows);
            if (lw.bq() != null) {
                backend.addBias(q, lw.bq(), rows);
                backend.addBias(k, lw.bk(), rows);
                backend.addBias(v, lw.bv(), rows);
            }
            backend.rope(q, rows, c.dim(), positions, rope);
            backend.rope(k, rows, c.kvDim(), positions, rope);
            backend.storeKv(cache.keys(l), cache.values(l), k, v, cached, rows);
            backend.attention(att, q, cache.keys(l), cache.values(l), cached, lm, shape);
            backend.matmul(xb2, att, lw.wo(), rows);
            backend.add(x, xb2, rows);

            // feed-forward: w2(silu(w1 x) * w3 x)
            backend.rmsNorm(xb, x, lw.ffnNorm(), rows, c.normEps());
            backend.matmul(hb, xb, lw.w1(), rows);
            backend.matmul(hb2, xb, lw.w3(), rows);
            backend.swiglu(hb, hb2, rows);
            backend.matmul(xb2, hb, lw.w2(), rows);
            backend.add(x, xb2, rows);
        }
        if (layers == batch.captureLayer()) {
            captured = backend.allocate(n, c.dim());
            backend.copyRows(x, 0, captured, 0, n);
        }
        n = rowsAll; // from here on the pseudo rows are rows like the others
        backend.rmsNorm(x, x, w.finalNorm(), n, c.normEps());
        cache.stage(mask);

        if (batch.isLastLogitsOnly()) {
            backend.copyRows(x, n - 1, xb, 0, 1);
            backend.matmul(logits, xb, w.classifier(), 1);
            return new ForwardResult(backend, logits, batch.wantsHiddenStates() ? x : null, captured, n, n - 1);
        }
        backend.matmul(logits, x, w.classifier(), n);
        return new ForwardResult(backend, logits, batch.wantsHiddenStates() ? x : null, captured, n, 0);
    }
}
