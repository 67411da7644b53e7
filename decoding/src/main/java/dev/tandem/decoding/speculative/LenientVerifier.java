package dev.tandem.decoding.speculative;

import dev.tandem.core.HostMath;
import dev.tandem.decoding.Sampler;

/**
 * CS Drafting's lenient review (lossy when lenience > 1): a draft token x is accepted if it is the target's
 * argmax or if {@code p(x) > q(x) / lenience}, with p the target's softmax and q the probability the draft
 * gave x (1 for deterministic candidates). At the first failure the target's argmax is added.
 */
public final class LenientVerifier implements Verifier {
    private final double lenience;

    public LenientVerifier(double lenience) {
        if (!(lenience >= 1)) {
            throw new IllegalArgumentException("lenience must be >= 1");
        }
        this.lenience = lenience;
    }

    @Override
    public boolean lossless() {
        return lenience == 1;
    }

    @Override
    public Acceptance verify(DraftTree tree, TargetLogits target, Sampler sampler) {
        return TreeWalk.walk(tree, node -> {
            float[] logits = target.logits(node);
            int best = Sampler.argmax(logits);
            int child = TreeWalk.childWithToken(tree, node, best);
            if (child < 0 && lenience > 1) {
                float[] p = HostMath.softmax(logits);
                for (int c : tree.children(node)) {
                    float[] q = tree.q(c);
                    double qx = q == null ? 1.0 : q[tree.token(c)];
                    if (p[tree.token(c)] > qx / lenience) {
                        child = c;
                        break;
                    }
                }
            }
            return child >= 0 ? child : TreeWalk.stop(best);
        });
    }

}
