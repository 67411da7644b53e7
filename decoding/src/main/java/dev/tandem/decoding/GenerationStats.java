package dev.tandem.decoding;

import java.util.Map;

/**
 * Figures of one run.
 *
 * @param tokens               new tokens produced
 * @param targetForwards       decoding steps of the target model (the prompt's forward counts as the first
 *                             step, since it yields the first token; a long prompt's extra chunks do not)
 * @param seconds              wall time from the first forward pass to the last token, prompt included
 * @param draftForwards        forward passes of each draft model level (empty for methods without one)
 * @param acceptanceByPosition for draft depth d (index d-1): the fraction of steps that drafted a token at
 *                             that depth in which the target accepted the path down to it
 * @param lossless             whether the output distribution is exactly the target's
 * @param events               method-specific counts, e.g. the adaptive gate's decisions
 * @param acceptedHistogram    for each verification step of a drafting method, how many draft tokens the
 *                             target accepted: entry a counts the steps that accepted a tokens (empty for
 *                             methods without drafts)
 * @param verifiedRows         rows of the target's passes after the prompt's: one a step for plain decoding, one plus
 *                             the draft's nodes for a drafting method
 */
public record GenerationStats(int tokens, int targetForwards, double seconds, double promptSeconds, long seed,
                              Map<String, Long> draftForwards, double[] acceptanceByPosition, boolean lossless,
                              Map<String, Long> events, long[] acceptedHistogram, long verifiedRows) {

    /** Figures of a method whose steps each verify one row. */
    public GenerationStats(int tokens, int targetForwards, double seconds, double promptSeconds, long seed,
                           Map<String, Long> draftForwards, double[] acceptanceByPosition, boolean lossless,
                           Map<String, Long> events, long[] acceptedHistogram) {
        this(tokens, targetForwards, seconds, promptSeconds, seed, draftForwards, acceptanceByPosition, lossless, events,
                acceptedHistogram, Math.max(0, targetForwards - 1));
    }

    /** Figures without an accepted-length histogram. */
    public GenerationStats(int tokens, int targetForwards, double seconds, double promptSeconds, long seed,
                           Map<String, Long> draftForwards, double[] acceptanceByPosition, boolean lossless,
                           Map<String, Long> events) {
        this(tokens, targetForwards, seconds, promptSeconds, seed, draftForwards, acceptanceByPosition, lossless, events, new long[0]);
    }

    /** Figures of a method without drafts. */
    public GenerationStats(int tokens, int targetForwards, double seconds, double promptSeconds, long seed) {
        this(tokens, targetForwards, seconds, promptSeconds, seed, Map.of(), new double[0], true, Map.of(), new long[0]);
    }

    /** Tokens per target step: 1.0 for plain decoding, more when drafts are accepted. */
    public double meanAcceptedLength() {
        return targetForwards == 0 ? 0 : (double) tokens / targetForwards;
    }

    /** Target rows a step verifies, on average over the steps after the prompt's (1.0 for plain decoding). */
    public double rowsPerStep() {
        return targetForwards <= 1 ? 0 : (double) verifiedRows / (targetForwards - 1);
    }

    public double tokensPerSecond() {
        return seconds == 0 ? 0 : tokens / seconds;
    }
}
