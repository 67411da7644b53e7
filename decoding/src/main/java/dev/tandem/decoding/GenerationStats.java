package dev.tandem.decoding;

/**
 * Figures of one run.
 *
 * @param tokens           new tokens produced
 * @param targetForwards   decoding steps of the target model (the prompt's forward counts as the first
 *                         step, since it yields the first token; a long prompt's extra chunks do not)
 * @param seconds          wall time from the first forward pass to the last token, prompt included
 */
public record GenerationStats(int tokens, int targetForwards, double seconds, double promptSeconds, long seed) {
    /** Tokens per target step: 1.0 for plain decoding, more when drafts are accepted. */
    public double meanAcceptedLength() {
        return targetForwards == 0 ? 0 : (double) tokens / targetForwards;
    }

    public double tokensPerSecond() {
        return seconds == 0 ? 0 : tokens / seconds;
    }
}
