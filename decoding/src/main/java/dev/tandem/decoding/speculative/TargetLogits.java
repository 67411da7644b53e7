package dev.tandem.decoding.speculative;

/** The target's logits at the root (-1) and at each draft node, from one verification forward pass. */
@FunctionalInterface
public interface TargetLogits {
    float[] logits(int node);
}
