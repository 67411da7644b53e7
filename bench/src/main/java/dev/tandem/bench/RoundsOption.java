package dev.tandem.bench;

import picocli.CommandLine.Option;

/**
 * {@code --rounds}, declared once for the benchmarks that measure their cases round by round (and {@code report},
 * which passes it on to them); each command gives its own default.
 */
final class RoundsOption {
    @Option(names = "--rounds", paramLabel = "N",
            description = "Rounds, each measuring every case in turn, so that noise falls on all of them alike (default: ${DEFAULT-VALUE}).")
    int count;

    RoundsOption(int count) {
        this.count = count;
    }
}
