package dev.tandem.decoding;

import dev.tandem.core.TandemException;

/**
 * How the next token is chosen from the target's logits. Temperature 0 means greedy (argmax); otherwise
 * logits are divided by the temperature, turned into probabilities, then filtered by top-k (0 = off),
 * top-p (1 = off) and min-p (0 = off) in that order and renormalised.
 */
public record SamplingParams(float temperature, int topK, float topP, float minP, long seed) {
    public static final SamplingParams GREEDY = new SamplingParams(0f, 0, 1f, 0f, 0L);

    public SamplingParams {
        if (!(temperature >= 0f) || Float.isInfinite(temperature)) {
            throw new TandemException("temperature must be a number >= 0, got " + temperature);
        }
        if (topK < 0) {
            throw new TandemException("top-k must be >= 0 (0 turns it off), got " + topK);
        }
        if (!(topP > 0f && topP <= 1f)) {
            throw new TandemException("top-p must be in (0, 1], got " + topP);
        }
        if (!(minP >= 0f && minP < 1f)) {
            throw new TandemException("min-p must be in [0, 1), got " + minP);
        }
    }

    public boolean greedy() {
        return temperature == 0f;
    }
}
