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

    private final Activations a;
    private volatile ForwardRoute route; // null: forward passes run alone

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
        MemoryBudget.require(model, layers, maxBatch);
        this.cache = new KvCache(backend, c, layers, maxBatch);
        this.rope = new RopeTable(c.headSize(), c.contextLength(), c.rope());
        this.shape = c.attentionShape();
        this.a = new Activations(backend, c, maxBatch);
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
     * Lets this transformer's forward passes run together with other sequences' in the route's shared passes
     * (continuous batching); the results are bitwise those of running alone. Returns this.
     */
    public Transformer batchedBy(ForwardRoute route) {
        this.route = route;
        return this;
    }

    /**
     * Rows the next chunk of a prompt should hold: the cache's most when this transformer runs alone, fewer
     * while its route shares passes with other decoding sequences ({@link ForwardRoute#prefillRows}).
     */
    public int prefillRows() {
        ForwardRoute r = route;
        int max = cache.maxBatch();
        return r == null ? max : Math.max(1, Math.min(max, r.prefillRows(max)));
    }

    RopeTable ropeTable() {
        return rope;
    }

    Tensor logitsBuffer() {
        return a.logits;
    }

    Tensor residualBuffer() {
        return a.x;
    }

    /**
     * Runs the batch on top of the committed cache. Its keys and values land in scratch rows; call
     * {@code cache().commit(...)} with the rows to keep.
     */
    public ForwardResult forward(Batch batch) {
        ForwardRoute r = route;
        ForwardResult shared = r == null ? null : r.forward(this, batch);
        return shared != null ? shared : forwardAlone(batch);
    }

    /** The Llama block, as llama2.c's {@code forward()}: embed, then per layer attention and feed-forward, then the classifier. */
    private ForwardResult forwardAlone(Batch batch) {
        int n = batch.size();
        TreeMask realMask = batch.mask();
        TreeMask mask = batch.fullMask();
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
        LayerHooks hooks = new LayerHooks(batch, backend, c.dim(), n, rowsAll);

        backend.embedding(a.x, w.tokenEmbedding(), batch.tokens(), n);

        for (int l = 0; l < layers; l++) {
            hooks.enteringLayer(l, a.x); // heads' capture, Hidden Transfer's pseudo states
            int rows = hooks.rows(l);
            TreeMask lm = hooks.withPseudoRows(l) ? mask : realMask;
            LayerWeights lw = w.layers().get(l);

            // attention: qkv, rotate, stash k/v in the cache's scratch rows, attend over cache + ancestors
            a.queryKeyValue(lw, rows, positions, rope);
            backend.storeKv(cache.keys(l), cache.values(l), a.k, a.v, cached, rows);
            backend.attention(a.att, a.q, cache.keys(l), cache.values(l), cached, lm, shape);
            a.outputAndFeedForward(lw, rows);
        }
        hooks.afterLastLayer(layers, a.x);
        Tensor captured = hooks.captured();
        n = rowsAll; // from here on the pseudo rows are rows like the others
        backend.rmsNorm(a.x, a.x, w.finalNorm(), n, c.normEps());
        cache.stage(mask);

        if (batch.isLastLogitsOnly()) {
            backend.copyRows(a.x, n - 1, a.xb, 0, 1);
            backend.matmul(a.logits, a.xb, w.classifier(), 1);
            return new ForwardResult(backend, a.logits, batch.wantsHiddenStates() ? a.x : null, captured, n, n - 1, 0);
        }
        backend.matmul(a.logits, a.x, w.classifier(), n);
        return new ForwardResult(backend, a.logits, batch.wantsHiddenStates() ? a.x : null, captured, n, 0, 0);
    }
}
