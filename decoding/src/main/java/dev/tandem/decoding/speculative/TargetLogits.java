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

    /**
     * The greedy verifier's whole walk at once where the backend can do it where the logits live, or null
     * (then the verifier walks node by node with {@link #argmax}).
     */
    default Acceptance acceptGreedy(DraftTree tree) {
        return null;
    }

    /** A verification pass's result: the root is batch row 0 and draft node i is row i + 1. */
    static TargetLogits of(ForwardResult result) {
        return new TargetLogits() {
            @Override
            public Acceptance acceptGreedy(DraftTree tree) {
                int n = tree.size() + 1;
                int[] tokens = new int[n];
                int[] parents = new int[n];
                parents[0] = -1; // the root row's own token is never compared
                for (int i = 0; i < tree.size(); i++) {
                    tokens[i + 1] = tree.token(i);
                    parents[i + 1] = tree.parent(i) + 1;
                }
                int[] r = result.acceptGreedy(tokens, parents);
                int[] path = new int[r[0]];
                for (int i = 0; i < path.length; i++) {
                    path[i] = r[1 + i] - 1;
                }
                return new Acceptance(path, r[1 + path.length]);
            }

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
