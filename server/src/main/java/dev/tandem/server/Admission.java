package dev.tandem.server;

import java.time.Duration;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Who may generate now: {@code maxActive} slots, a queue of at most {@code maxQueued} requests waiting
 * for one (first come, first served), and clear refusals past that: 429 when the queue is full, 503 when a
 * request waited longer than the queue timeout or the server is stopping.
 */
final class Admission {
    private final Semaphore slots;
    private final int maxActive;
    private final int maxQueued;
    private final long timeoutNanos;
    private final AtomicInteger queued = new AtomicInteger();
    private volatile boolean closing;

    Admission(int maxActive, int maxQueued, Duration timeout) {
        this.slots = new Semaphore(maxActive, true);
        this.maxActive = maxActive;
        this.maxQueued = maxQueued;
        this.timeoutNanos = timeout.toNanos();
    }

    /** A slot; close it when the generation is over. Throws the 429/503 {@link ApiError} otherwise. */
    Slot acquire() throws InterruptedException {
        if (closing) {
            throw stopping();
        }
        if (!slots.tryAcquire()) {
            if (queued.incrementAndGet() > maxQueued) {
                queued.decrementAndGet();
                throw new ApiError(429, "server_busy", "queue_full", null, "the server is busy: " + maxActive
                        + " requests are running and " + maxQueued + " are queued; retry later");
            }
            try {
                if (!slots.tryAcquire(timeoutNanos, TimeUnit.NANOSECONDS)) {
                    throw new ApiError(503, "server_busy", "queue_timeout", null, "no generation slot became free within "
                            + TimeUnit.NANOSECONDS.toMillis(timeoutNanos) + " ms; retry later");
                }
            } finally {
                queued.decrementAndGet();
            }
            if (closing) {
                slots.release();
                throw stopping();
            }
        }
        return new Slot();
    }

    int active() {
        return maxActive - slots.availablePermits();
    }

    int queued() {
        return queued.get();
    }

    void close() {
        closing = true;
    }

    private static ApiError stopping() {
        return new ApiError(503, "server_busy", "shutting_down", null, "the server is shutting down");
    }

    final class Slot implements AutoCloseable {
        private boolean released;

        @Override
        public void close() {
            if (!released) {
                released = true;
                slots.release();
            }
        }
    }
}
