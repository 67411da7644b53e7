package dev.tandem.decoding.speculative;

import dev.tandem.decoding.Sampler;
import java.util.Arrays;

/**
 * Speculative sampling for drafts drawn from a distribution q (Leviathan et al.; SpecInfer's multi-branch
 * form; Sequoia's rule for siblings drawn without replacement). At a node with target distribution r, the
 * children are tried in order: child x is accepted with probability min(1, r(x) / q(x)); after a rejection
 * r becomes normalize(max(0, r - q)) (and, without replacement, q(x) is zeroed and q renormalised). If no
 * child is accepted a token is drawn from the final r. Target and draft distributions go through the same
 * temperature/top-k/top-p/min-p processing, so the output distribution is exactly the target's.
 */
public final class RejectionSamplingVerifier implements Verifier {
    @Override
    public Acceptance verify(DraftTree tree, TargetLogits target, Sampler sampler) {
        boolean withoutReplacement = tree.kind() == DraftTree.Kind.SAMPLED_WITHOUT_REPLACEMENT;
        int[] path = new int[tree.maxDepth()];
        int n = 0;
        int node = -1;
        descend:
        while (true) {
            float[] r = sampler.distribution(target.logits(node));
            int[] kids = tree.children(node);
            float[] q = null; // shared sibling distribution, updated after rejections (without replacement)
            for (int child : kids) {
                float[] qc = withoutReplacement ? (q == null ? q = tree.q(child).clone() : q) : tree.q(child);
                int x = tree.token(child);
                double accept = qc[x] <= 0 ? 0 : Math.min(1.0, r[x] / (double) qc[x]);
                if (sampler.nextUniform() < accept) {
                    path[n++] = child;
                    node = child;
                    continue descend;
                }
                r = residual(r, qc);
                if (withoutReplacement) {
                    qc[x] = 0f;
                    normalize(qc);
                }
            }
            return new Acceptance(Arrays.copyOf(path, n), sampler.draw(r));
        }
    }

    /** normalize(max(0, r - q)); when r <= q everywhere (then r == q) r itself is returned. */
    static float[] residual(float[] r, float[] q) {
        float[] out = new float[r.length];
        double sum = 0;
        for (int i = 0; i < r.length; i++) {
            out[i] = Math.max(0f, r[i] - q[i]);
            sum += out[i];
        }
        if (sum <= 0) {
            return r;
        }
        for (int i = 0; i < out.length; i++) {
            out[i] = (float) (out[i] / sum);
        }
        return out;
    }

    /** Scales p to sum to 1 in place (as drafters drawing siblings without replacement must too); false where it sums to 0. */
    static boolean normalize(float[] p) {
        double sum = 0;
        for (float v : p) {
            sum += v;
        }
        if (sum > 0) {
            for (int i = 0; i < p.length; i++) {
                p[i] = (float) (p[i] / sum);
            }
        }
        return sum > 0;
    }
}
