package dev.tandem.decoding.speculative;

import dev.tandem.decoding.Sampler;
import java.util.Arrays;

/**
 * Drafts a chain from an {@link NgramTable} of the target's own text: each token the most frequent one after
 * the longest known context, its estimated probability of acceptance the product of the table's confidences
 * so far. A {@link DraftSizer} then keeps the prefix worth its verification rows (possibly none: a plain
 * step), so on a model whose rows are nearly free the chain runs long and on one where each row costs a step
 * it drafts only what is nearly certain. Free: no model runs.
 *
 * <p>With sampling, each token is drawn from the context's kept successors in proportion to their counts, and
 * the chain is verified by speculative sampling against that distribution q: a token is accepted with
 * probability min(1, p(x) / q(x)), so where q is close to the model's own p (a table counted from text sampled at
 * the same temperature, a context seen often) nearly every token is, where the most frequent token alone would be
 * accepted only with its probability p(x).
 */
public final class NgramDrafter implements Drafter {
    /**
     * A sampled draft's context must have been seen this often, else a shorter one that was is used: on stories260K
     * at temperature 0.8 (1 M positions of text sampled at 0.8, 20 k positions of other such text), a token drawn
     * from the longest context's counts is accepted 44% of the time, from the longest seen 4 / 16 / 64 times 53 / 56 /
     * 55%, and the most frequent token alone 35-39% (the model's own most likely token: 56%).
     */
    static final int SAMPLED_MIN_TOTAL = 16;

    private final NgramTable table;
    private final DraftSizer sizer;

    public NgramDrafter(NgramTable table, DraftSizer sizer) {
        this.table = table;
        this.sizer = sizer;
    }

    @Override
    public String name() {
        return "ngram";
    }

    @Override
    public void reset(TokenHistory history) {
        sizer.reset();
    }

    @Override
    public boolean gatesItself() {
        return true;
    }

    @Override
    public DraftTree propose(TokenHistory h, int maxDepth, Sampler sampler) {
        boolean sampled = sampler != null && !sampler.params().greedy();
        int context = Math.min(table.maxOrder(), h.size());
        int[] window = new int[context + maxDepth];
        for (int i = 0; i < context; i++) {
            window[i] = h.get(h.size() - context + i);
        }
        double[] scores = new double[maxDepth];
        float[][] q = sampled ? new float[maxDepth][] : null;
        double p = 1;
        int drafted = 0;
        while (drafted < maxDepth) {
            int token;
            if (sampled) {
                NgramTable.Successors s = table.successors(window, context + drafted, SAMPLED_MIN_TOTAL);
                if (s == null) {
                    break;
                }
                q[drafted] = distribution(s);
                token = sampler.draw(q[drafted]);
                p *= expectedAcceptance(s);
            } else {
                long prediction = table.predict(window, context + drafted);
                if (prediction < 0) {
                    break;
                }
                token = NgramTable.token(prediction);
                p *= NgramTable.confidence(prediction);
            }
            scores[drafted] = p;
            window[context + drafted++] = token;
        }
        int keep = sizer.size(Arrays.copyOf(scores, drafted));
        if (keep == 0) {
            return DraftTree.empty();
        }
        int[] tokens = Arrays.copyOfRange(window, context, context + keep);
        return sampled ? DraftTree.sampledChain(tokens, Arrays.copyOf(q, keep)) : DraftTree.chain(tokens);
    }

    /** q: the kept successors in proportion to their counts. */
    private float[] distribution(NgramTable.Successors s) {
        float[] q = new float[table.vocabSize()];
        long sum = s.keptCount();
        for (int i = 0; i < s.tokens().length; i++) {
            q[s.tokens()[i]] = (float) ((double) s.counts()[i] / sum);
        }
        return q;
    }

    /**
     * The chance a token drawn from q is accepted, sum over x of min(p(x), q(x)), estimated without p: the share of
     * the context's occurrences its kept successors cover (mass q cannot place), shrunk for few observations
     * (q from n draws of p strays from p by about sqrt(successors / n)). The sizer's calibration corrects the scale.
     */
    static double expectedAcceptance(NgramTable.Successors s) {
        double covered = (double) s.keptCount() / s.total();
        return Math.max(0, covered * (1 - Math.sqrt(s.counts().length / (double) (s.total() + 1)) / 2));
    }

    @Override
    public void sharedPass(int peerRows) {
        sizer.sharedPass(peerRows);
    }

    @Override
    public void verified(DraftTree tree, int accepted, long verifyNanos, long draftNanos) {
        sizer.verified(tree.size() + 1, accepted, verifyNanos);
    }
}
