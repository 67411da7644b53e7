package dev.tandem.decoding.speculative;

import dev.tandem.decoding.Sampler;

/**
 * Temperature 0: follow the child whose token is the target's argmax (lowest id on ties) while one
 * exists, then add that argmax token. The output is exactly plain greedy decoding.
 */
public final class GreedyVerifier implements Verifier {
    @Override
    public Acceptance verify(DraftTree tree, TargetLogits target, Sampler sampler) {
        Acceptance whole = target.acceptGreedy(tree); // one call where the logits live (one launch on a GPU)
        if (whole != null) {
            return whole;
        }
        return TreeWalk.walk(tree, node -> {
            int best = target.argmax(node);
            int child = TreeWalk.childWithToken(tree, node, best);
            return child >= 0 ? child : TreeWalk.stop(best);
        });
    }
}
