package dev.tandem.decoding.spec;

import dev.tandem.decoding.Sampler;
import java.util.Arrays;

/**
 * Temperature 0: follow the child whose token is the target's argmax (lowest id on ties) while one
 * exists, then add that argmax token. The output is exactly plain greedy decoding.
 */
public final class GreedyVerifier implements Verifier {
    @Override
    public Acceptance verify(DraftTree tree, TargetLogits target, Sampler sampler) {
        int[] path = new int[tree.maxDepth()];
        int n = 0;
        int node = -1;
        while (true) {
            int best = Sampler.argmax(target.logits(node));
            int next = childWithToken(tree, node, best);
            if (next < 0) {
                return new Acceptance(Arrays.copyOf(path, n), best);
            }
            path[n++] = next;
            node = next;
        }
    }

    /** The first child of {@code node} carrying {@code token}, or -1. */
    static int childWithToken(DraftTree tree, int node, int token) {
        for (int c : tree.children(node)) {
            if (tree.token(c) == token) {
                return c;
            }
        }
        return -1;
    }
}
