package dev.tandem.models;

import dev.tandem.core.Tensor;

/** One transformer block's weights; matrices are {@code out x in}, row-major. */
public record LayerWeights(Tensor attentionNorm, Tensor wq, Tensor wk, Tensor wv, Tensor wo,
                           Tensor ffnNorm, Tensor w1, Tensor w2, Tensor w3) {}
