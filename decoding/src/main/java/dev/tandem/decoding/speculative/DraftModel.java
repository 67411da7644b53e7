package dev.tandem.decoding.speculative;

import dev.tandem.models.Batch;
import dev.tandem.models.ForwardResult;
import dev.tandem.models.Transformer;
import java.util.Arrays;

/**
 * A draft-sized transformer with its own KV cache that remembers which tokens it holds, so that after the
 * target's verification it keeps the longest prefix still valid and only feeds what changed (rolling back
 * costs nothing). Every call runs one forward pass over the new tokens plus the proposal to score.
 */
final class DraftModel {
    private final String name;
    private final Transformer transformer;
    private int[] fed = new int[64];
    private long forwards;

    DraftModel(String name, Transformer transformer) {
        this.name = name;
        this.transformer = transformer;
    }

    String name() {
        return name;
    }

    long forwards() {
        return forwards;
    }

    int maxBatch() {
        return transformer.cache().maxBatch();
    }

    void reset() {
        transformer.cache().reset();
    }

    /**
     * Logits for each position of {@code proposal} and one past it: row j is the model's next-token
     * logits before proposal[j] (j = proposal.length: after the whole proposal). The model ends up holding
     * {@code sequence} (kept) and the proposal (pending until {@link #keep}).
     */
    float[][] score(int[] sequence, int[] proposal) {
        int held = transformer.cache().length();
        int common = 0;
        int limit = Math.min(held, sequence.length - 1); // re-feed at least the last token: its logits are needed
        while (common < limit && fed[common] == sequence[common]) {
            common++;
        }
        transformer.cache().truncate(common);
        // catch up on a long gap (the prompt, the first time) in chunks that need no logits
        int max = transformer.cache().maxBatch();
        while (sequence.length - transformer.cache().length() + proposal.length > max) {
            int from = transformer.cache().length();
            int n = Math.min(max, sequence.length - 1 - from);
            feed(Arrays.copyOfRange(sequence, from, from + n));
            transformer.cache().commitChain(n);
        }
        int from = transformer.cache().length();
        int unfed = sequence.length - from;
        int[] batch = Arrays.copyOf(Arrays.copyOfRange(sequence, from, sequence.length), unfed + proposal.length);
        System.arraycopy(proposal, 0, batch, unfed, proposal.length);
        ForwardResult r = feed(batch);
        float[][] logits = new float[proposal.length + 1][];
        for (int j = 0; j <= proposal.length; j++) {
            logits[j] = r.logits(unfed - 1 + j);
        }
        pendingUnfed = unfed;
        return logits;
    }

    private int pendingUnfed;

    /** Keeps the sequence of the last {@link #score} call and the first {@code accepted} proposal tokens. */
    void keep(int accepted) {
        transformer.cache().commitChain(pendingUnfed + accepted); // feed() already recorded their tokens
    }

    private ForwardResult feed(int[] tokens) {
        forwards++;
        int from = transformer.cache().length();
        if (fed.length < from + tokens.length) {
            fed = Arrays.copyOf(fed, Math.max(fed.length * 2, from + tokens.length));
        }
        System.arraycopy(tokens, 0, fed, from, tokens.length);
        return transformer.forward(Batch.chain(tokens));
    }
}
