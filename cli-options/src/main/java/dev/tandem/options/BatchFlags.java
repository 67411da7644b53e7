package dev.tandem.options;

import dev.tandem.api.Engine;
import dev.tandem.core.TandemException;
import dev.tandem.models.ForwardBatcher;
import java.time.Duration;
import picocli.CommandLine.Option;

/**
 * How a batched engine fills its passes, declared once for {@code serve} and for {@code bench load}, which
 * measures the server as serve runs it: how long a step waits for the others to join, and how much of an
 * arriving prompt one pass takes.
 */
public final class BatchFlags {
    @Option(names = "--batch-wait-us", paramLabel = "US", defaultValue = "2000",
            description = "Longest a step waits for the other running requests to join its pass (default: ${DEFAULT-VALUE}).")
    long batchWaitMicros;

    @Option(names = "--prefill-chunk", paramLabel = "N", defaultValue = "" + ForwardBatcher.DEFAULT_PREFILL_ROWS,
            description = "With batching, the most prompt tokens a pass takes from a request while others decode, so an "
                    + "arriving prompt does not stall their next tokens (default: ${DEFAULT-VALUE}).")
    int prefillChunk;

    /** Fails, naming the flag, for a negative wait or a chunk below one token: before any model loads. */
    public void check() {
        if (batchWaitMicros < 0) {
            throw new TandemException("--batch-wait-us must be >= 0, got " + batchWaitMicros);
        }
        if (prefillChunk < 1) {
            throw new TandemException("--prefill-chunk must be >= 1, got " + prefillChunk);
        }
    }

    /** {@code builder} with this wait and prefill chunk. */
    public Engine.Builder applyTo(Engine.Builder builder) {
        return builder.batchWait(Duration.ofNanos(batchWaitMicros * 1000)).prefillChunk(prefillChunk);
    }
}
