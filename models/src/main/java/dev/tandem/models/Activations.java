package dev.tandem.models;

import dev.tandem.core.Backend;
import dev.tandem.core.RopeTable;
import dev.tandem.core.Tensor;

/**
 * A forward pass's activations, one row per batch token, and the parts of a transformer block that treat
 * every row alike. {@link Transformer#forward} and {@link MultiSequenceForward} differ only in how rows
 * attend (one cache, or each sequence its own), so both run a block as {@link #queryKeyValue}, their own
 * attention into {@link #att}, then {@link #outputAndFeedForward}: one copy of the block's arithmetic.
 */
final class Activations {
    final Tensor x;      // residual stream
    final Tensor xb;     // normed input of a sub-block
    final Tensor xb2;    // output of a sub-block before the residual add
    final Tensor q;
    final Tensor k;
    final Tensor v;
    final Tensor att;    // attention output, before wo
    final Tensor hb;     // ffn gate (w1), then silu(gate) * up
    final Tensor hb2;    // ffn up (w3)
    final Tensor logits;
    /** The outputs of the matmuls that take one x, as {@link Backend#matmuls} runs them: q, k, v; then gate, up. */
    private final Tensor[] queryKeyValue, gateUp;
    private final Backend backend;
    private final LlamaConfig c;

    Activations(Backend backend, LlamaConfig c, int rows) {
        this.backend = backend;
        this.c = c;
        this.x = backend.allocate(rows, c.dim());
        this.xb = backend.allocate(rows, c.dim());
        this.xb2 = backend.allocate(rows, c.dim());
        this.q = backend.allocate(rows, c.dim());
        this.k = backend.allocate(rows, c.kvDim());
        this.v = backend.allocate(rows, c.kvDim());
        this.att = backend.allocate(rows, c.dim());
        this.hb = backend.allocate(rows, c.hiddenDim());
        this.hb2 = backend.allocate(rows, c.hiddenDim());
        this.logits = backend.allocate(rows, c.vocabSize());
        this.queryKeyValue = new Tensor[] {q, k, v};
        this.gateUp = new Tensor[] {hb, hb2};
    }

    /** Attention's inputs: q, k, v of the normed residual stream, biased (Qwen2) and rotated to their positions. */
    void queryKeyValue(LayerWeights lw, int rows, int[] positions, RopeTable rope) {
        backend.rmsNorm(xb, x, lw.attentionNorm(), rows, c.normEps());
        backend.matmuls(queryKeyValue, xb, new Tensor[] {lw.wq(), lw.wk(), lw.wv()}, rows);
        if (lw.bq() != null) {
            backend.addBias(q, lw.bq(), rows);
            backend.addBias(k, lw.bk(), rows);
            backend.addBias(v, lw.bv(), rows);
        }
        backend.rope(q, rows, c.dim(), positions, rope);
        backend.rope(k, rows, c.kvDim(), positions, rope);
    }

    /** The rest of the block once {@link #att} holds attention's output: wo and its residual, then w2(silu(w1 x) * w3 x). */
    void outputAndFeedForward(LayerWeights lw, int rows) {
        backend.matmul(xb2, att, lw.wo(), rows);
        backend.add(x, xb2, rows);
        backend.rmsNorm(xb, x, lw.ffnNorm(), rows, c.normEps());
        backend.matmuls(gateUp, xb, new Tensor[] {lw.w1(), lw.w3()}, rows);
        backend.swiglu(hb, hb2, rows);
        backend.matmul(xb2, hb, lw.w2(), rows);
        backend.add(x, xb2, rows);
    }
}
