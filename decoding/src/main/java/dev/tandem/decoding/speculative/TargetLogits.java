package dev.tandem.decoding.speculative;

import dev.tandem.decoding.Sampler;
import dev.tandem.models.ForwardResult;

/** The target's logits at the root (-1) and at each draft node, from one verification forward pass. */
@FunctionalInterface
public interface TargetLogits {
    float[] logits(int node);

    /**
     * Index of the largest logit at a node, the lowest id on ties. The greedy verifier needs only this, so a
     * device backend answers it with one int instead of sending the node's logits back.
     */
    default int argmax(int node) {
        return Sampler.argmax(logits(node));
    }

    /** A verification pass's result: the root is batch row 0 and draft node i is row i + 1. */
    static TargetLogits of(ForwardResult result) {
        return new TargetLogits() {
            @Override
            public float[] logits(int node) {
                return result.logits(node + 1);
            }

            @Override
            public int argmax(int node) {
                return result.argmax(node + 1);
            }
        };
    }
}
