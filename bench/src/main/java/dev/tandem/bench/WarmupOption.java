package dev.tandem.bench;

import java.time.Duration;
import picocli.CommandLine.Option;

/**
 * {@code --warmup-seconds}, declared once for the benchmarks that let the JIT compile what they run before they
 * measure it; each command gives its own default (its own warm-up work: an engine's, or its cases run in turn).
 */
final class WarmupOption {
    @Option(names = "--warmup-seconds", paramLabel = "S", description = "JIT warm-up before measuring (default: ${DEFAULT-VALUE}).")
    double seconds;

    WarmupOption(double seconds) {
        this.seconds = seconds;
    }

    /** The warm-up, to the millisecond, for {@code Engine.warmUp}. */
    Duration duration() {
        return Duration.ofMillis((long) (seconds * 1000));
    }

    /** The {@link System#nanoTime()} at which a warm-up that starts now ends. */
    long endFromNow() {
        return System.nanoTime() + (long) (seconds * 1e9);
    }
}
