package dev.tandem.models;

import dev.tandem.core.Tensor;
import java.util.List;

/** All weights of a Llama-family model, as views into the model file. */
public record LlamaWeights(Tensor tokenEmbedding, List<LayerWeights> layers, Tensor finalNorm, Tensor classifier) {
    /**
     * Bytes of the matrices one decoded token reads through the first {@code layerCount} layers: each layer's
     * projections, then the classifier. On a model bound by reading its weights, what a one-row pass costs.
     */
    public long bytesPerToken(int layerCount) {
        long bytes = classifier.segment().byteSize();
        for (LayerWeights l : layers.subList(0, layerCount)) {
            for (Tensor t : new Tensor[] {l.wq(), l.wk(), l.wv(), l.wo(), l.w1(), l.w2(), l.w3()}) {
                bytes += t.segment().byteSize();
            }
        }
        return bytes;
    }
}
