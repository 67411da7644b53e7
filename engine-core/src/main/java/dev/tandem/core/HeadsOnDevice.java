package dev.tandem.core;

/**
 * Decoding heads (Medusa, Cerberus) run where a device backend keeps its memory, so a draft step sends
 * back each head's top tokens instead of each head's logits. Device backends implement it; the heads'
 * drafter uses it when its backend does and computes the same thing on the host otherwise.
 */
public interface HeadsOnDevice {
    /**
     * Uploads a stack of heads once: {@code w[k]} is head k's {@code dim x in} block matrix row-major
     * ({@code in = dim}, or {@code 3 dim} for sequential heads that also read the previous head's output
     * and the embedding of its token), {@code b[k]} its bias. The handle lives as long as the backend.
     */
    Object uploadHeads(float[][] w, float[][] b, int dim, boolean sequential);

    /**
     * Each head's {@code k} most likely tokens after the target's last hidden state {@code h} and its chosen
     * token {@code pending}, best first, with their probabilities under the softmax of that head's logits.
     */
    TopTokens headsTopK(Object heads, float[] h, int pending, Tensor classifier, Tensor embedding, int k);

    /** {@code tokens[head][j]} and {@code probs[head][j]}, best first. */
    record TopTokens(int[][] tokens, float[][] probs) {}
}
