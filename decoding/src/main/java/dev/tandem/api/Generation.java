package dev.tandem.api;

import dev.tandem.core.TandemException;
import dev.tandem.decoding.GenerationResult;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A generation running in the background ({@link Engine#start}): cancel it, wait for it, or chain on its
 * future. A cancelled run ends before its next token with stop reason {@code CANCELLED} and keeps the
 * tokens it had.
 */
public final class Generation {
    private final AtomicBoolean cancelled = new AtomicBoolean();
    private final CompletableFuture<GenerationResult> result = new CompletableFuture<>();

    Generation() {}

    /** Asks the run to stop before its next token; returns at once. */
    public void cancel() {
        cancelled.set(true);
    }

    public boolean isCancelled() {
        return cancelled.get();
    }

    public boolean isDone() {
        return result.isDone();
    }

    /** Completes with the result, or exceptionally with the run's {@link TandemException}. */
    public CompletableFuture<GenerationResult> future() {
        return result;
    }

    /** Waits for the result; a failed run rethrows its error. */
    public GenerationResult await() throws InterruptedException {
        try {
            return result.get();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException re) {
                throw re;
            }
            throw new TandemException("generation failed: " + e.getCause());
        }
    }

    AtomicBoolean flag() {
        return cancelled;
    }

    CompletableFuture<GenerationResult> completion() {
        return result;
    }
}
