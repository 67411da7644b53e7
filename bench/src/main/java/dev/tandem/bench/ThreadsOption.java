package dev.tandem.bench;

import picocli.CommandLine.Option;

/**
 * {@code --threads}, declared once for the benchmarks that run one engine at one thread count (those that compare
 * thread counts take a list instead: {@code ar}, {@code verify-cost}).
 */
final class ThreadsOption {
    @Option(names = "--threads", paramLabel = "N", description = "Engine threads (default: ${DEFAULT-VALUE}).")
    int count = 2;
}
