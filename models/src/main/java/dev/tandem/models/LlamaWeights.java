package dev.tandem.models;

import dev.tandem.core.Tensor;
import java.util.List;

/** All weights of a Llama-family model, as views into the model file. */
public record LlamaWeights(Tensor tokenEmbedding, List<LayerWeights> layers, Tensor finalNorm, Tensor classifier) {}
