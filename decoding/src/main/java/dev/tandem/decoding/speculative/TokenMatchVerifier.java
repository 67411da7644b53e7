package dev.tandem.decoding.speculative;

import dev.tandem.decoding.Sampler;

/**
 * Sampling with deterministic candidates (top-k heads, n-gram lookup, argmax reviews): at each node draw
 * y from the target's distribution and descend into the child with token y if there is one, else emit y.
 * Exactly the target's distribution, because every emitted token is a draw from the target given the
 * accepted prefix; the acceptance at a node is the target mass of its children.
 */
public final class TokenMatchVerifier implements Verifier {
    @Override
    public Acceptance verify(DraftTree tree, TargetLogits target, Sampler sampler) {
        return TreeWalk.walk(tree, node -> {
            int y = sampler.draw(sampler.distribution(target.logits(node)));
            int child = TreeWalk.childWithToken(tree, node, y);
            return child >= 0 ? child : TreeWalk.stop(y);
        });
    }
}
