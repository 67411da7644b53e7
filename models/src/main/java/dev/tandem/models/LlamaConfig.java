package dev.tandem.models;

import dev.tandem.core.AttentionShape;
import dev.tandem.core.Rope;
import dev.tandem.core.TandemException;

/**
 * Hyper-parameters of a Llama-family model (Llama 2/3, TinyLlama, Mistral, Qwen2, SmolLM).
 *
 * @param rope             the rotary embedding: theta, pair layout and Llama 3 frequency scaling
 * @param sharedClassifier whether the output classifier is the token embedding table (tied weights)
 * @param architecture     the family name files use ("llama", "qwen2", ...), for messages and writers
 */
public record LlamaConfig(int dim, int hiddenDim, int layers, int heads, int kvHeads, int vocabSize,
                          int contextLength, float normEps, Rope rope, boolean sharedClassifier, String architecture) {

    /** A llama2.c-style model: adjacent RoPE pairs without scaling. */
    public LlamaConfig(int dim, int hiddenDim, int layers, int heads, int kvHeads, int vocabSize,
                       int contextLength, float normEps, float ropeTheta, boolean sharedClassifier) {
        this(dim, hiddenDim, layers, heads, kvHeads, vocabSize, contextLength, normEps, Rope.adjacent(ropeTheta),
                sharedClassifier, "llama");
    }

    public LlamaConfig {
        check(dim > 0, "dim", dim);
        check(hiddenDim > 0, "hidden_dim", hiddenDim);
        check(layers > 0, "n_layers", layers);
        check(heads > 0, "n_heads", heads);
        check(kvHeads > 0, "n_kv_heads", kvHeads);
        check(vocabSize > 0, "vocab_size", vocabSize);
        check(contextLength > 0, "seq_len", contextLength);
        if (dim % heads != 0) {
            throw new TandemException("dim " + dim + " is not a multiple of n_heads " + heads);
        }
        if (heads % kvHeads != 0) {
            throw new TandemException("n_heads " + heads + " is not a multiple of n_kv_heads " + kvHeads);
        }
        if (!(normEps > 0) || normEps > 1) {
            throw new TandemException("rms norm epsilon " + normEps + " is invalid (must be in (0, 1])");
        }
        if ((dim / heads) % 2 != 0) {
            throw new TandemException("head size " + dim / heads + " is odd; RoPE needs pairs");
        }
    }

    private static void check(boolean ok, String name, int value) {
        if (!ok) {
            throw new TandemException("model header value " + name + " = " + value + " is invalid (must be positive)");
        }
    }

    public float ropeTheta() {
        return rope.theta();
    }

    /** This configuration with another context length (a file's declared limit, or a user's smaller one). */
    public LlamaConfig withContextLength(int n) {
        return new LlamaConfig(dim, hiddenDim, layers, heads, kvHeads, vocabSize, n, normEps, rope, sharedClassifier, architecture);
    }

    public int headSize() {
        return dim / heads;
    }

    public int kvDim() {
        return kvHeads * headSize();
    }

    public AttentionShape attentionShape() {
        return new AttentionShape(heads, kvHeads, headSize());
    }
}
