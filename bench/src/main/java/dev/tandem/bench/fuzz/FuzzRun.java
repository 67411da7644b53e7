package dev.tandem.bench.fuzz;

import dev.tandem.core.TandemException;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Runs fuzz cases of one kind under the contract: each ends within the time limit, and either runs or is
 * refused by a {@link TandemException} whose message is one line, free of control characters, of bounded
 * length and naming what it must name. Counts the outcomes and keeps the first failures for the report.
 */
public final class FuzzRun {
    public static final long LIMIT_MILLIS = 10_000;
    private static final int MAX_MESSAGE = 1000;

    private final String kind;
    private final Map<Outcome, Integer> counts = new EnumMap<>(Outcome.class);
    private final List<String> failures = new ArrayList<>();
    private long slowestNanos;
    private ExecutorService worker = newWorker();

    public FuzzRun(String kind) {
        this.kind = kind;
        for (Outcome o : Outcome.values()) {
            counts.put(o, 0);
        }
    }

    private static ExecutorService newWorker() {
        return Executors.newSingleThreadExecutor(Thread.ofPlatform().daemon().name("fuzz-case").factory());
    }

    @FunctionalInterface
    public interface Case {
        /** Runs the case; a {@link TandemException} is a refusal, anything else thrown is a failure. */
        void run() throws Exception;
    }

    /**
     * One case: {@code how} describes the input, {@code mustName} is a text a refusal must contain (the
     * file's name; null for none).
     */
    public Outcome run(String how, String mustName, Case c) {
        long t0 = System.nanoTime();
        Future<?> f = worker.submit(() -> {
            c.run();
            return null;
        });
        Outcome o;
        String detail = null;
        try {
            f.get(LIMIT_MILLIS, TimeUnit.MILLISECONDS);
            o = Outcome.RAN;
        } catch (TimeoutException e) {
            f.cancel(true);
            worker.shutdownNow();
            worker = newWorker();
            o = Outcome.FAILED;
            detail = "hung for more than " + LIMIT_MILLIS / 1000 + " s";
        } catch (java.util.concurrent.ExecutionException e) {
            Throwable t = e.getCause();
            if (t instanceof TandemException te) {
                detail = badMessage(te.getMessage(), mustName);
                o = detail == null ? Outcome.REFUSED : Outcome.FAILED;
            } else {
                o = Outcome.FAILED;
                detail = t.toString() + (t.getStackTrace().length > 0 ? " at " + t.getStackTrace()[0] : "");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
        slowestNanos = Math.max(slowestNanos, System.nanoTime() - t0);
        counts.merge(o, 1, Integer::sum);
        if (o == Outcome.FAILED && failures.size() < 20) {
            failures.add(how + ": " + detail);
        }
        return o;
    }

    /** Why a refusal's message breaks the contract, or null when it is clean. */
    static String badMessage(String m, String mustName) {
        if (m == null || m.isBlank()) {
            return "an empty message";
        }
        if (m.chars().anyMatch(ch -> ch < 0x20 || ch == 0x7F)) {
            return "control characters in: " + m.replaceAll("\\p{Cntrl}", "?");
        }
        if (m.length() > MAX_MESSAGE) {
            return "a message of " + m.length() + " characters: " + m.substring(0, 200) + "...";
        }
        if (mustName != null && !m.contains(mustName)) {
            return "a message that does not name " + mustName + ": " + m;
        }
        return null;
    }

    public String kind() {
        return kind;
    }

    public int count(Outcome o) {
        return counts.get(o);
    }

    public int total() {
        return counts.values().stream().mapToInt(Integer::intValue).sum();
    }

    public List<String> failures() {
        return failures;
    }

    public double slowestSeconds() {
        return slowestNanos / 1e9;
    }

    public void close() {
        worker.shutdownNow();
    }
}
