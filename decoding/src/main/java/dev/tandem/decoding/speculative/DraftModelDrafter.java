package dev.tandem.decoding.speculative;

import dev.tandem.core.TandemException;
import dev.tandem.decoding.Sampler;
import dev.tandem.decoding.SamplingParams;
import java.util.Map;

/**
 * Speculative decoding with a draft model (a separate small model, or the target's own first layers):
 * it decodes a chain of up to {@code length} tokens (greedy, or sampled with the run's settings and then
 * verified by rejection sampling), or, with {@code treeBudget > 0}, keeps the top-{@code branching}
 * candidates at each position of its greedy chain and grows a tree of at most {@code treeBudget} nodes by
 * cumulative draft probability ({@link TreeBuilder#dynamic}).
 */
public final class DraftModelDrafter implements Drafter {
    private final DraftModel model;
    private final int length;
    private final int branching;
    private final int treeBudget;

    public DraftModelDrafter(String name, dev.tandem.models.Transformer draft, int length, int branching, int treeBudget) {
        if (length < 1) {
            throw new TandemException("draft length must be >= 1, got " + length);
        }
        if (treeBudget > 0 && branching < 1) {
            throw new TandemException("tree branching must be >= 1, got " + branching);
        }
        this.model = new DraftModel(name, draft);
        this.length = length;
        this.branching = branching;
        this.treeBudget = treeBudget;
    }

    @Override
    public String name() {
        return treeBudget > 0 ? "draft-tree" : "draft";
    }

    @Override
    public void reset(TokenHistory history) {
        model.reset();
    }

    @Override
    public Map<String, Long> draftForwards() {
        return Map.of(model.name(), model.forwards());
    }

    @Override
    public boolean nestsChains() {
        return treeBudget == 0; // a sampled chain's first d tokens are drawn as a d-token chain's are
    }

    @Override
    public DraftTree propose(TokenHistory h, int maxDepth, Sampler sampler) {
        int n = Math.min(length, maxDepth);
        int[] sequence = h.toArray();
        SamplingParams sp = sampler.params();
        boolean sample = !sp.greedy() && treeBudget == 0;
        int[] tokens = new int[n];
        float[][] q = new float[n][];
        int[][] candidates = new int[n][];
        float[][] candidateProbs = new float[n][];
        int[] seq = sequence;
        for (int i = 0; i < n; i++) {
            float[] logits = model.score(seq, new int[0])[0];
            model.keep(0);
            if (sample) {
                q[i] = sampler.distribution(logits);
                tokens[i] = sampler.draw(q[i]);
            } else {
                tokens[i] = Sampler.argmax(logits);
                if (treeBudget > 0) {
                    TreeBuilder.candidates(logits, branching, candidates, candidateProbs, i);
                }
            }
            seq = java.util.Arrays.copyOf(seq, seq.length + 1);
            seq[seq.length - 1] = tokens[i];
        }
        if (sample) {
            return DraftTree.sampledChain(tokens, q);
        }
        if (treeBudget > 0) {
            return TreeBuilder.dynamic(candidates, candidateProbs, treeBudget, n);
        }
        return DraftTree.chain(tokens);
    }
}
