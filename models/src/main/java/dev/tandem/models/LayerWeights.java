package dev.tandem.models;

import dev.tandem.core.Tensor;

/**
 * One transformer block's weights; matrices are {@code out x in}, row-major. The query/key/value biases are
 * null except in models that have them (Qwen2).
 */
public record LayerWeights(Tensor attentionNorm, Tensor wq, Tensor wk, Tensor wv, Tensor wo,
                           Tensor ffnNorm, Tensor w1, Tensor w2, Tensor w3, Tensor bq, Tensor bk, Tensor bv) {
    public LayerWeights(Tensor attentionNorm, Tensor wq, Tensor wk, Tensor wv, Tensor wo,
                        Tensor ffnNorm, Tensor w1, Tensor w2, Tensor w3) {
        this(attentionNorm, wq, wk, wv, wo, ffnNorm, w1, w2, w3, null, null, null);
    }
}
