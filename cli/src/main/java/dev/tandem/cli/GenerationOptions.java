package dev.tandem.cli;

import dev.tandem.core.TandemException;
import dev.tandem.decoding.SamplingParams;
import picocli.CommandLine.Option;

/** What {@code generate} and {@code chat} share about the text they generate: its length and its sampling. */
final class GenerationOptions {
    static final int DEFAULT_MAX_NEW_TOKENS = 256;

    @Option(names = "--max-new-tokens", paramLabel = "N",
            description = "Most new tokens, per reply in chat (default: " + DEFAULT_MAX_NEW_TOKENS + ", or what is left of the context).")
    Integer maxNewTokens;

    @Option(names = "--temperature", paramLabel = "T", defaultValue = "0", description = "0 = greedy (default: ${DEFAULT-VALUE}).")
    float temperature;

    @Option(names = "--top-p", paramLabel = "P", defaultValue = "1", description = "Nucleus sampling mass, 1 = off (default: ${DEFAULT-VALUE}).")
    float topP;

    @Option(names = "--top-k", paramLabel = "K", defaultValue = "0", description = "Keep the K most likely tokens, 0 = off (default: ${DEFAULT-VALUE}).")
    int topK;

    @Option(names = "--min-p", paramLabel = "P", defaultValue = "0", description = "Drop tokens below P x the top probability, 0 = off (default: ${DEFAULT-VALUE}).")
    float minP;

    @Option(names = "--seed", paramLabel = "S", description = "Random seed for sampling (default: from the clock; reported in the stats).")
    Long seed;

    /** Refuses a --max-new-tokens below 1 before anything loads. */
    void check() {
        if (maxNewTokens != null && maxNewTokens < 1) {
            throw new TandemException("--max-new-tokens must be >= 1, got " + maxNewTokens);
        }
    }

    /** The new tokens asked for, else the default within the {@code room} the context leaves (at least 1). */
    int maxNewTokens(int room) {
        return maxNewTokens != null ? maxNewTokens : Math.max(1, Math.min(DEFAULT_MAX_NEW_TOKENS, room));
    }

    /** The seed to use: the one given, else one from the clock. */
    long seedOrClock() {
        return seed != null ? seed : System.nanoTime();
    }

    /** The sampling settings with {@code seed}. */
    SamplingParams params(long seed) {
        return new SamplingParams(temperature, topK, topP, minP, seed);
    }
}
