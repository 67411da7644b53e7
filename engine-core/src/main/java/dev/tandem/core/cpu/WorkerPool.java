package dev.tandem.core.cpu;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * A fixed pool of platform threads for data-parallel kernels. Workers spin briefly before parking, because
 * a decode step issues many small parallel sections and a thread wake-up (tens of microseconds) would cost
 * more than the work it splits. Chunks are claimed, not assigned: the caller and the workers take the next
 * unclaimed chunk until none is left, so a worker the OS has not scheduled (a busy or shared machine)
 * delays nothing; the caller only ever waits for chunks a worker has already started. Chunk boundaries do
 * not depend on who runs them, so results do not either.
 */
public final class WorkerPool implements AutoCloseable {
    /** Body of a parallel loop over {@code [start, end)}. */
    @FunctionalInterface
    public interface RangeBody {
        void run(int start, int end);
    }

    /** One parallel section, published to the workers through a single volatile write. */
    private record Job(long id, RangeBody body, int n, int chunks, int align, AtomicInteger next, AtomicInteger remaining) {}

    private static final int SPINS_BEFORE_PARK = 20_000;

    private final int threads;
    private final Thread[] workers;
    private volatile Job job;
    private volatile boolean closed;
    private volatile Throwable failure;
    private long nextId = 1;
    // the pool serves one parallel section at a time; a second caller (another sequence's thread) runs its
    // section on its own thread instead of corrupting the first one's (results are thread-count invariant)
    private final java.util.concurrent.atomic.AtomicBoolean busy = new java.util.concurrent.atomic.AtomicBoolean();

    public WorkerPool(int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be >= 1, got " + threads);
        }
        this.threads = threads;
        this.workers = new Thread[threads - 1];
        for (int i = 0; i < workers.length; i++) {
            workers[i] = Thread.ofPlatform().daemon().name("tandem-worker-" + (i + 1)).start(this::loop);
        }
    }

    public int threads() {
        return threads;
    }

    /**
     * Runs {@code body} over {@code [0, n)} split into at most {@link #threads()} contiguous chunks whose
     * boundaries are multiples of {@code align}; returns when all chunks are done. Safe to call from
     * several threads: while one caller's section runs, another's runs whole on its own thread.
     */
    public void parallelFor(int n, int align, RangeBody body) {
        int useful = Math.max(1, Math.min(threads, (n + align - 1) / align));
        if (useful == 1 || !busy.compareAndSet(false, true)) {
            body.run(0, n);
            return;
        }
        try {
            runParallel(n, align, body, useful);
        } finally {
            busy.set(false);
        }
    }

    private void runParallel(int n, int align, RangeBody body, int useful) {
        Job j = new Job(nextId++, body, n, useful, align, new AtomicInteger(), new AtomicInteger(useful));
        failure = null;
        job = j;
        for (int i = 0; i < useful - 1; i++) {
            LockSupport.unpark(workers[i]);
        }
        runClaimed(j);
        while (j.remaining.get() != 0) {
            Thread.onSpinWait();
        }
        Throwable t = failure;
        if (t != null) {
            if (t instanceof RuntimeException re) {
                throw re;
            }
            throw new IllegalStateException("worker failed", t);
        }
    }

    /** Runs unclaimed chunks of the job until none is left. */
    private void runClaimed(Job j) {
        int chunk;
        while ((chunk = j.next.getAndIncrement()) < j.chunks) {
            try {
                runChunk(j, chunk);
            } catch (Throwable t) {
                failure = t;
            } finally {
                j.remaining.decrementAndGet();
            }
        }
    }

    private static void runChunk(Job j, int chunk) {
        int blocks = (j.n + j.align - 1) / j.align;
        int start = Math.min(j.n, (int) ((long) blocks * chunk / j.chunks) * j.align);
        int end = Math.min(j.n, (int) ((long) blocks * (chunk + 1) / j.chunks) * j.align);
        if (start < end) {
            j.body.run(start, end);
        }
    }

    private void loop() {
        long seen = 0;
        while (true) {
            int spins = 0;
            Job j;
            while ((j = job) == null || j.id == seen) {
                if (closed) {
                    return;
                }
                if (++spins < SPINS_BEFORE_PARK) {
                    Thread.onSpinWait();
                } else {
                    LockSupport.park(this);
                }
            }
            seen = j.id;
            runClaimed(j);
        }
    }

    @Override
    public void close() {
        closed = true;
        for (Thread w : workers) {
            LockSupport.unpark(w);
        }
    }
}
