package dev.tandem.models;

import dev.tandem.core.Backend;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Continuous batching of forward passes. Each sequence keeps running its own decoding loop on its own
 * thread (any method: its verification batch is a chain or a draft tree); when it calls
 * {@link Transformer#forward} on a transformer {@linkplain Transformer#batchedBy batched by} this
 * batcher, the call waits here and joins one {@link MultiSequenceForward} pass with the batches of the
 * other sequences that are waiting. Sequences join and leave between any two steps.
 *
 * <p>Who runs the pass: the leader, the oldest waiting call (flat combining), so a lone sequence runs its
 * own pass at once with no thread hand-off. A pass starts when every sequence that has {@linkplain #join
 * joined} is waiting, or when the leader has waited a quarter of a recent pass, at most {@code maxWait} (a
 * sequence busy drafting or writing to a slow client must not hold the others back). Each call sleeps on its own condition, so a step wakes each
 * thread once, not every thread on every arrival.
 *
 * <p>With several lanes, up to that many passes run at once, each taking its share of the waiting
 * sequences; the next pass forms while one runs.
 *
 * <p>Results are bitwise those of running alone (see {@link MultiSequenceForward}), so batching never
 * changes what any method outputs.
 */
public final class ForwardBatcher implements ForwardRoute {
    private final Backend backend;
    private final int maxRows;
    private final long maxWaitNanos;
    private final int prefillRows;

    private final ReentrantLock lock = new ReentrantLock();
    private final ArrayDeque<Call> waiting = new ArrayDeque<>();
    private volatile int members;
    private Call leader; // the waiting call that starts the next pass (the oldest, in practice)
    private int runningPasses;
    private int inPass; // calls inside running passes: they cannot join the next one
    private long passNanos; // moving average of a pass's duration
    private final int lanes;
    // a pass's buffers, per model and layer count; one per pass running at once
    private final Map<Object, ConcurrentLinkedDeque<MultiSequenceForward>> idle = new ConcurrentHashMap<>();

    private final AtomicLong passCount = new AtomicLong();
    private final AtomicLong rowCount = new AtomicLong();
    private final AtomicLong sequenceCount = new AtomicLong();

    private static final class Call {
        final Transformer transformer;
        final Batch batch;
        final long since;
        final Condition wake; // each call sleeps on its own condition: no herd of wake-ups per step
        ForwardResult result;
        RuntimeException failure;
        boolean done;

        Call(Transformer transformer, Batch batch, Condition wake) {
            this.transformer = transformer;
            this.batch = batch;
            this.since = System.nanoTime();
            this.wake = wake;
        }
    }

    /** A sequence's membership: while open, batched passes wait for it (up to the batcher's wait). */
    public interface Membership extends AutoCloseable {
        @Override
        void close();
    }

    /** Counters since start: batched passes run, rows they held, and sequence batches they combined. */
    public record Counters(long passes, long rows, long sequences) {
        /** Sequences per pass: 1.0 when nothing was combined. */
        public double meanSequencesPerPass() {
            return passes == 0 ? 0 : (double) sequences / passes;
        }
    }

    /**
     * @param backend  the backend of every transformer it batches
     * @param maxRows  most rows in one pass (batches beyond it run in the next pass)
     * @param maxWait  longest a waiting call holds its pass open for members that have not called yet (it
     *                 waits a quarter of a recent pass, up to this)
     */
    public ForwardBatcher(Backend backend, int maxRows, java.time.Duration maxWait) {
        this(backend, maxRows, maxWait, 1);
    }

    /**
     * @param lanes passes that may run at once, each over its share of the sequences. On a CPU where one
     *              pass's rows cost about what they cost apart (a cache-resident model), as many lanes as
     *              cores keep every core busy; where weights dominate (large models, GPUs), one lane and
     *              the biggest batch is best.
     */
    public ForwardBatcher(Backend backend, int maxRows, java.time.Duration maxWait, int lanes) {
        this(backend, maxRows, maxWait, lanes, DEFAULT_PREFILL_ROWS);
    }

    /**
     * Rows of a prompt chunk while other sequences decode, unless told otherwise. On a CPU each row of a pass
     * costs a quarter of a one-row pass or more, so a chunk stalls everyone's next token: with seven sequences
     * decoding a 1.1B model and a 400-token prompt arriving ({@code bench prefill-stall}, docs/SERVER.md),
     * chunks of 64 made their tokens 8x slower while it prefilled, 16 about 2.9x (its first token 1.4-1.5x
     * later), 4 about 1.45x (2.7-2.8x later). Prompts up to this size go in one pass, as before.
     */
    public static final int DEFAULT_PREFILL_ROWS = 16;

    /**
     * @param prefillRows rows a prompt chunk may hold while other sequences are members (alone, a prompt goes
     *                    in chunks as large as its transformer takes): the bound on how long one arriving
     *                    prompt stalls the others' steps, paid for by that prompt's time to first token
     */
    public ForwardBatcher(Backend backend, int maxRows, java.time.Duration maxWait, int lanes, int prefillRows) {
        if (maxRows < 1 || lanes < 1 || prefillRows < 1) {
            throw new IllegalArgumentException("maxRows, lanes and prefillRows must be >= 1, got " + maxRows + ", " + lanes + " and " + prefillRows);
        }
        this.prefillRows = prefillRows;
        this.lanes = lanes;
        this.backend = backend;
        this.maxRows = maxRows;
        this.maxWaitNanos = maxWait.toNanos();
    }

    /** Registers a sequence that is about to decode; close it when the sequence is done. */
    public Membership join() {
        lock.lock();
        try {
            members++;
        } finally {
            lock.unlock();
        }
        return new Membership() {
            private boolean closed;

            @Override
            public void close() {
                lock.lock();
                try {
                    if (!closed) {
                        closed = true;
                        members--;
                        if (leader != null) {
                            leader.wake.signal(); // the others may be complete now
                        }
                    }
                } finally {
                    lock.unlock();
                }
            }
        };
    }

    public Counters counters() {
        return new Counters(passCount.get(), rowCount.get(), sequenceCount.get());
    }

    /** {@code max} for a lone sequence; at most the configured prefill rows while others are members too. */
    @Override
    public int prefillRows(int max) {
        return members > 1 ? Math.min(max, prefillRows) : max;
    }

    /** Passes this batcher can combine: plain batches (no Hidden Transfer injection, no layer capture). */
    private boolean takes(Transformer t, Batch b) {
        return t.backend() == backend && b.transfer() == null && b.captureLayer() < 0;
    }

    @Override
    public ForwardResult forward(Transformer t, Batch b) {
        if (!takes(t, b)) {
            return null;
        }
        Call call = new Call(t, b, lock.newCondition());
        boolean interrupted = false;
        lock.lock();
        try {
            waiting.add(call);
            if (leader == null) {
                leader = call;
            } else if (waiting.size() >= members - inPass) {
                leader.wake.signal(); // the pass is complete: only its leader needs to know
            }
            while (!call.done) {
                if (call != leader || runningPasses >= lanes) {
                    call.wake.awaitUninterruptibly(); // woken when its pass is done, or when it may start one
                    continue;
                }
                long waited = System.nanoTime() - waiting.peekFirst().since;
                long patience = patience();
                if (waiting.size() >= members - inPass || waited >= patience) {
                    List<Call> pass = take();
                    runningPasses++;
                    inPass += pass.size();
                    leader = waiting.peekFirst();
                    if (leader != null) {
                        leader.wake.signal(); // the rest may form a pass on another lane meanwhile
                    }
                    lock.unlock();
                    long started = System.nanoTime();
                    try {
                        run(pass);
                    } finally {
                        lock.lock();
                        passNanos = passNanos == 0 ? System.nanoTime() - started : (4 * passNanos + System.nanoTime() - started) / 5;
                        runningPasses--;
                        inPass -= pass.size();
                        for (Call c : pass) {
                            c.done = true;
                            c.wake.signal();
                        }
                        if (leader == null) {
                            leader = waiting.peekFirst();
                        }
                        if (leader != null) {
                            leader.wake.signal();
                        }
                    }
                } else {
                    try {
                        call.wake.awaitNanos(patience - waited);
                    } catch (InterruptedException e) {
                        interrupted = true;
                    }
                }
            }
        } finally {
            lock.unlock();
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
        if (call.failure != null) {
            throw call.failure;
        }
        return call.result;
    }

    /**
     * How long a leader holds its pass open for the members still on their way: a quarter of a recent pass
     * (waiting is worth it where a pass is long, e.g. bound by reading the weights, so that one pass takes
     * everyone instead of two), capped by maxWait; next to nothing for a model whose passes take
     * microseconds, where an idle core costs more than a smaller batch.
     */
    private long patience() {
        return Math.min(maxWaitNanos, passNanos / 4);
    }

    /** The oldest waiting calls: at most a lane's share of the members and at most maxRows rows (at least one call). */
    private List<Call> take() {
        int share = Math.max(1, (members + lanes - 1) / lanes);
        List<Call> pass = new ArrayList<>();
        int rows = 0;
        while (!waiting.isEmpty() && pass.size() < share) {
            Call next = waiting.peekFirst();
            if (!pass.isEmpty() && rows + next.batch.size() > maxRows) {
                break;
            }
            pass.add(waiting.pollFirst());
            rows += next.batch.size();
        }
        return pass;
    }

    /** Runs the calls, grouped by model and layer count (a draft model's passes never mix with the target's). */
    private void run(List<Call> pass) {
        Map<Object, List<Call>> groups = new HashMap<>();
        for (Call c : pass) {
            groups.computeIfAbsent(List.of(c.transformer.model(), c.transformer.layers()), k -> new ArrayList<>()).add(c);
        }
        for (Map.Entry<Object, List<Call>> g : groups.entrySet()) {
            List<Call> calls = g.getValue();
            Transformer first = calls.get(0).transformer;
            ConcurrentLinkedDeque<MultiSequenceForward> pool = idle.computeIfAbsent(g.getKey(), k -> new ConcurrentLinkedDeque<>());
            MultiSequenceForward f = pool.poll();
            if (f == null) {
                f = new MultiSequenceForward(first.model(), first.layers(), backend);
            }
            try {
                runGroup(f, calls);
            } finally {
                pool.push(f);
            }
        }
    }

    private void runGroup(MultiSequenceForward f, List<Call> calls) {
        Transformer[] ts = new Transformer[calls.size()];
        Batch[] bs = new Batch[calls.size()];
        for (int i = 0; i < ts.length; i++) {
            ts[i] = calls.get(i).transformer;
            bs[i] = calls.get(i).batch;
        }
        try {
            ForwardResult[] results = f.run(ts, bs);
            int rows = 0;
            for (int i = 0; i < ts.length; i++) {
                calls.get(i).result = results[i];
                rows += bs[i].size();
            }
            passCount.incrementAndGet();
            rowCount.addAndGet(rows);
            sequenceCount.addAndGet(ts.length);
        } catch (RuntimeException e) {
            if (calls.size() == 1) {
                calls.get(0).failure = e;
                return;
            }
            // one sequence's bad batch (past its context, say) must fail that sequence only
            for (Call c : calls) {
                runGroup(f, List.of(c));
            }
        }
    }

    @Override
    public String toString() {
        return "ForwardBatcher[lanes=" + lanes + ", maxRows=" + maxRows + ", prefillRows=" + prefillRows + ", maxWait=" + TimeUnit.NANOSECONDS.toMicros(maxWaitNanos) + "µs]";
    }
}
