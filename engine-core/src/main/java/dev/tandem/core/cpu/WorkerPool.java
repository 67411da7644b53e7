package dev.tandem.core.cpu;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.locks.LockSupport;

/**
 * A fixed pool of platform threads for data-parallel kernels. Workers spin briefly before parking, because
 * a decode step issues many small parallel sections and a thread wake-up (tens of microseconds) would cost
 * more than the work it splits.
 *
 * <p>Each participant (the caller is participant 0) owns one contiguous share of the range, cut into
 * {@code split} chunks (one by default; each half the one before, {@link #cut}) that it takes from the front, in order,
 * so its memory reads stay one sequential stream. A participant that has finished its own share takes the others' unclaimed chunks from their back
 * end. So a thread on a slower or busier core (a shared machine: the two cores of one VM measured 2.4 and 3.4
 * GHz in the same minute) hands its last chunks to the faster one instead of holding up the whole section,
 * and a worker the OS has not scheduled at all delays nothing: the caller only ever waits for chunks a
 * worker has already started. Chunk boundaries do not depend on who runs them, so results do not either.
 */
public final class WorkerPool implements AutoCloseable {
    /** Body of a parallel loop over {@code [start, end)}. */
    @FunctionalInterface
    public interface RangeBody {
        void run(int start, int end);
    }

    /** One parallel section, published to the workers through a single volatile write. */
    private record Job(long id, RangeBody body, int n, int shares, int split, int align, AtomicLongArray bounds,
                       AtomicInteger remaining) {}

    private static final int SPINS_BEFORE_PARK = 20_000;

    /**
     * Default chunks per participant's share ({@code -Dtandem.pool.split}) for sections that do not ask for a number.
     * One, the plain split: four let a thread on a faster core take a slower one's last chunks, which pays in one-row
     * decode on a VM whose cores run at unequal speeds but made the 4-row passes of verification 7-13% slower
     * (docs/PERFORMANCE.md), so only one-row matmuls ask for four ({@code CpuBackend}, with the figures).
     */
    static final int SPLIT = Integer.getInteger("tandem.pool.split", 1);

    private final int threads;
    private final int split;
    private final Thread[] workers;
    private volatile Job job;
    private volatile boolean closed;
    private volatile Throwable failure;
    private long nextId = 1;
    // the pool serves one parallel section at a time; a second caller (another sequence's thread) runs its
    // section on its own thread instead of corrupting the first one's (results are thread-count invariant)
    private final java.util.concurrent.atomic.AtomicBoolean busy = new java.util.concurrent.atomic.AtomicBoolean();

    public WorkerPool(int threads) {
        this(threads, SPLIT);
    }

    /** A pool whose participants each cut their share into {@code split} chunks (see {@link #SPLIT}). */
    public WorkerPool(int threads, int split) {
        if (threads < 1 || split < 1) {
            throw new IllegalArgumentException("threads and split must be >= 1, got " + threads + " and " + split);
        }
        this.threads = threads;
        this.split = split;
        this.workers = new Thread[threads - 1];
        for (int i = 0; i < workers.length; i++) {
            int self = i + 1;
            workers[i] = Thread.ofPlatform().daemon().name("tandem-worker-" + self).start(() -> loop(self));
        }
    }

    public int threads() {
        return threads;
    }

    /** Chunks a participant's share is cut into where a section does not ask for a number. */
    int split() {
        return split;
    }

    /**
     * Runs {@code body} over {@code [0, n)} split into at most {@link #threads()} shares of up to {@code split}
     * contiguous chunks, whose boundaries are multiples of {@code align}; returns when all chunks are done. Safe to call from
     * several threads: while one caller's section runs, another's runs whole on its own thread.
     */
    public void parallelFor(int n, int align, RangeBody body) {
        parallelFor(n, align, split, body);
    }

    /** {@link #parallelFor(int, int, RangeBody)} with each share cut into up to {@code chunksAShare} chunks instead of the pool's default. */
    public void parallelFor(int n, int align, int chunksAShare, RangeBody body) {
        int useful = Math.max(1, Math.min(threads, (n + align - 1) / align));
        if (useful == 1 || !busy.compareAndSet(false, true)) {
            body.run(0, n);
            return;
        }
        try {
            runParallel(n, align, chunksAShare, body, useful);
        } finally {
            busy.set(false);
        }
    }

    private void runParallel(int n, int align, int chunksAShare, RangeBody body, int useful) {
        int blocks = (n + align - 1) / align;
        int split = Math.max(1, Math.min(chunksAShare, blocks / useful));
        AtomicLongArray bounds = new AtomicLongArray(useful);
        for (int s = 0; s < useful; s++) {
            bounds.set(s, split); // front 0 in the high word, back (exclusive) in the low word
        }
        Job j = new Job(nextId++, body, n, useful, split, align, bounds, new AtomicInteger(useful * split));
        failure = null;
        job = j;
        for (int i = 0; i < useful - 1; i++) {
            LockSupport.unpark(workers[i]);
        }
        runClaimed(j, 0);
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

    /** Runs participant {@code self}'s own chunks, then any other share's unclaimed ones, until none is left. */
    private void runClaimed(Job j, int self) {
        int chunk;
        while ((chunk = claim(j, self)) >= 0) {
            try {
                runChunk(j, chunk);
            } catch (Throwable t) {
                failure = t;
            } finally {
                j.remaining.decrementAndGet();
            }
        }
    }

    /** The next chunk for {@code self}: the front of its own share, else the back of another's; -1 when none is left. */
    private static int claim(Job j, int self) {
        if (self < j.shares) {
            int k = take(j, self, true);
            if (k >= 0) {
                return self * j.split + k;
            }
        }
        for (int i = 1; i <= j.shares; i++) {
            int other = (self + i) % j.shares;
            int k = take(j, other, false);
            if (k >= 0) {
                return other * j.split + k;
            }
        }
        return -1;
    }

    /** Claims share {@code s}'s first (owner) or last (thief) unclaimed chunk; -1 when it has none. */
    private static int take(Job j, int s, boolean front) {
        while (true) {
            long b = j.bounds.get(s);
            int lo = (int) (b >>> 32);
            int hi = (int) b;
            if (lo >= hi) {
                return -1;
            }
            long next = front ? ((long) (lo + 1) << 32) | hi : ((long) lo << 32) | (hi - 1);
            if (j.bounds.compareAndSet(s, b, next)) {
                return front ? lo : hi - 1;
            }
        }
    }

    /** Runs chunk {@code chunk}: chunk k of share s is that share's blocks from {@link #cut}(k) to cut(k + 1). */
    private static void runChunk(Job j, int chunk) {
        int blocks = (j.n + j.align - 1) / j.align;
        int share = chunk / j.split, k = chunk % j.split;
        long s0 = (long) blocks * share / j.shares, s1 = (long) blocks * (share + 1) / j.shares;
        int start = Math.min(j.n, (int) (s0 + cut(s1 - s0, k, j.split)) * j.align);
        int end = Math.min(j.n, (int) (s0 + cut(s1 - s0, k + 1, j.split)) * j.align);
        if (start < end) {
            j.body.run(start, end);
        }
    }

    /**
     * Boundary k (0..split) of a share of {@code size} blocks cut into {@code split} chunks that halve: 1/2, 1/4, ...,
     * the last two equal. The owner runs them from the front, so its stream is as long as it can be, and a thief takes
     * the small ones from the back, so a section ends on a small chunk: one-row decoding of the Q4_K_M and Q6_K files
     * 1.03x faster than with equal quarters (the slower core waited on up to a quarter of its share), 2-16 rows and
     * Q8_0 the same (docs/PERFORMANCE.md).
     */
    static long cut(long size, int k, int split) {
        return k >= split ? size : size - (size >> k);
    }

    private void loop(int self) {
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
            runClaimed(j, self);
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
