package dev.tandem.cli;

import dev.tandem.decoding.SamplingParams;
import picocli.CommandLine.Option;

/** The sampling options {@code generate} and {@code chat} share. */
final class SamplingOptions {
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

    /** The seed to use: the one given, else one from the clock. */
    long seedOrClock() {
        return seed != null ? seed : System.nanoTime();
    }

    /** The sampling settings with {@code seed}. */
    SamplingParams params(long seed) {
        return new SamplingParams(temperature, topK, topP, minP, seed);
    }
}
