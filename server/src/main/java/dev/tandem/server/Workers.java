package dev.tandem.server;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.time.Duration;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * The platform threads that do a request's CPU work, so that the virtual threads serving HTTP never hold
 * a carrier thread for long and {@code /health} answers under any load: {@code prepare} (parsing and
 * tokenizing, one thread per core, a bounded queue: 429 beyond it) and {@code decode} (prefill and
 * generation, one thread per generation slot; admission already bounds them).
 */
final class Workers implements AutoCloseable {
    private final ThreadPoolExecutor preparers;
    private final ThreadPoolExecutor decoders;

    Workers(int cores, int maxActive, int maxQueued) {
        this.preparers = pool("tandem-prepare-", cores, Math.max(1, maxQueued + maxActive));
        this.decoders = pool("tandem-decode-", maxActive, maxActive);
    }

    private static ThreadPoolExecutor pool(String name, int threads, int queue) {
        ThreadPoolExecutor p = new ThreadPoolExecutor(threads, threads, 30, TimeUnit.SECONDS, new ArrayBlockingQueue<>(queue),
                Thread.ofPlatform().daemon().name(name, 0).factory());
        p.allowCoreThreadTimeOut(true);
        return p;
    }

    /** Parses and tokenizes a request; 429 when more are waiting than the queue holds. */
    <T> T prepare(Callable<T> work) throws IOException {
        return run(preparers, work);
    }

    <T> T decode(Callable<T> work) throws IOException {
        return run(decoders, work);
    }

    private static <T> T run(ThreadPoolExecutor pool, Callable<T> work) throws IOException {
        Future<T> f;
        try {
            f = pool.submit(work);
        } catch (RejectedExecutionException e) {
            throw new ApiError(429, "server_busy", "queue_full", null, pool.isShutdown() ? "the server is shutting down"
                    : "the server is busy: " + pool.getQueue().size() + " requests are waiting for a worker; retry later");
        }
        try {
            return f.get();
        } catch (InterruptedException e) {
            f.cancel(true);
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while waiting for a worker");
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException re) {
                throw re;
            }
            if (e.getCause() instanceof Error err) {
                throw err;
            }
            throw new IllegalStateException(e.getCause());
        }
    }

    /** Waits up to {@code deadline} for the work under way to end, then stops the threads. */
    @Override
    public void close() {
        close(Duration.ofSeconds(2));
    }

    void close(Duration deadline) {
        preparers.shutdown();
        decoders.shutdown();
        try {
            long end = System.nanoTime() + deadline.toNanos();
            preparers.awaitTermination(Math.max(0, end - System.nanoTime()), TimeUnit.NANOSECONDS);
            decoders.awaitTermination(Math.max(0, end - System.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        preparers.shutdownNow();
        decoders.shutdownNow();
    }
}
