package dev.tandem.decoding.spec;

import dev.tandem.decoding.Sampler;
import java.util.Arrays;

/**
 * Sampling with deterministic candidates (top-k heads, n-gram lookup, argmax reviews): at each node draw
 * y from the target's distribution and descend into the child with token y if there is one, else emit y.
 * Exactly the target's distribution, because every emitted token is a draw from the target given the
 * accepted prefix; the acceptance at a node is the target mass of its children.
 */
public final class TokenMatchVerifier implements Verifier {
    @Override
    public Acceptance verify(DraftTree tree, TargetLogits target, Sampler sampler) {
        int[] path = new int[tree.maxDepth()];
        int n = 0;
        int node = -1;
        while (true) {
            int y = sampler.draw(sampler.distribution(target.logits(node)));
            int next = GreedyVerifier.childWithToken(tree, node, y);
            if (next < 0) {
                return new Acceptance(Arrays.copyOf(path, n), y);
            }
            path[n++] = next;
            node = next;
        }
    }
}
