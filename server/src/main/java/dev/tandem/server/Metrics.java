package dev.tandem.server;

import dev.tandem.api.Engine;
import dev.tandem.api.MethodTotals;
import dev.tandem.models.ForwardBatcher;
import java.util.ArrayDeque;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/** Counters the server keeps, written in Prometheus' text exposition format for {@code GET /metrics}. */
final class Metrics {
    private static final long WINDOW_NANOS = 10_000_000_000L;

    private final Map<String, AtomicLong> requests = new ConcurrentHashMap<>(); // "endpoint|code"
    private final Map<String, AtomicLong> rejected = new ConcurrentHashMap<>(); // by error code
    private final AtomicLong disconnects = new AtomicLong();
    private final AtomicInteger tokenizing = new AtomicInteger();
    private final AtomicInteger prefilling = new AtomicInteger();
    private final ArrayDeque<long[]> recent = new ArrayDeque<>(); // {time, tokens} of finished generations

    void request(String endpoint, int status) {
        requests.computeIfAbsent(endpoint + "|" + status, k -> new AtomicLong()).incrementAndGet();
    }

    void rejected(String code) {
        rejected.computeIfAbsent(code, k -> new AtomicLong()).incrementAndGet();
    }

    /** A request in a phase, counted until closed (closing twice counts once). */
    static final class Phase implements AutoCloseable {
        private final AtomicInteger gauge;
        private boolean closed;

        private Phase(AtomicInteger gauge) {
            this.gauge = gauge;
            gauge.incrementAndGet();
        }

        @Override
        public synchronized void close() {
            if (!closed) {
                closed = true;
                gauge.decrementAndGet();
            }
        }
    }

    /** A request being parsed and tokenized (queued for a worker included). */
    Phase tokenizing() {
        return new Phase(tokenizing);
    }

    /** A generation that has not produced text yet: prefilling its prompt, or waiting for its pass. */
    Phase prefilling() {
        return new Phase(prefilling);
    }

    int tokenizingNow() {
        return tokenizing.get();
    }

    int prefillingNow() {
        return prefilling.get();
    }

    void disconnect() {
        disconnects.incrementAndGet();
    }

    long disconnects() {
        return disconnects.get();
    }

    synchronized void generated(int tokens) {
        long now = System.nanoTime();
        recent.addLast(new long[] {now, tokens});
        prune(now);
    }

    /** Tokens of the generations finished in the last 10 s, per second. */
    synchronized double tokensPerSecond() {
        long now = System.nanoTime();
        prune(now);
        long sum = 0;
        for (long[] e : recent) {
            sum += e[1];
        }
        return sum / (WINDOW_NANOS / 1e9);
    }

    private void prune(long now) {
        while (!recent.isEmpty() && now - recent.peekFirst()[0] > WINDOW_NANOS) {
            recent.removeFirst();
        }
    }

    String render(Engine engine, Admission admission) {
        StringBuilder sb = new StringBuilder();
        header(sb, "tandem_requests_total", "counter", "HTTP requests answered, by endpoint and status code.");
        requests.entrySet().stream().sorted(Map.Entry.comparingByKey()).forEach(e -> {
            String[] k = e.getKey().split("\\|");
            sb.append("tandem_requests_total{endpoint=\"").append(k[0]).append("\",code=\"").append(k[1]).append("\"} ")
                    .append(e.getValue().get()).append('\n');
        });
        header(sb, "tandem_requests_rejected_total", "counter", "Requests refused for load: queue_full (429), queue_timeout (503).");
        rejected.entrySet().stream().sorted(Map.Entry.comparingByKey()).forEach(e ->
                sb.append("tandem_requests_rejected_total{reason=\"").append(e.getKey()).append("\"} ").append(e.getValue().get()).append('\n'));
        gauge(sb, "tandem_requests_active", "Generations running now.", admission.active());
        gauge(sb, "tandem_queue_length", "Requests waiting for a generation slot.", admission.queued());
        gauge(sb, "tandem_requests_tokenizing", "Requests being parsed and tokenized (or waiting for a worker to do it).", tokenizing.get());
        gauge(sb, "tandem_requests_prefilling", "Running generations with no text yet: prefilling the prompt (counted in active too).",
                prefilling.get());
        header(sb, "tandem_client_disconnects_total", "counter", "Streams whose client went away mid-generation (their slot was freed).");
        sb.append("tandem_client_disconnects_total ").append(disconnects.get()).append('\n');
        gauge(sb, "tandem_tokens_per_second", "Tokens of generations finished in the last 10 s, per second.", tokensPerSecond());

        Map<String, MethodTotals> totals = engine.totals();
        header(sb, "tandem_generations_total", "counter", "Finished generations by decoding method.");
        totals.forEach((m, t) -> line(sb, "tandem_generations_total", m, t.requests()));
        header(sb, "tandem_generated_tokens_total", "counter", "Tokens generated by decoding method.");
        totals.forEach((m, t) -> line(sb, "tandem_generated_tokens_total", m, t.tokens()));
        header(sb, "tandem_target_forwards_total", "counter", "Target model decoding steps by method.");
        totals.forEach((m, t) -> line(sb, "tandem_target_forwards_total", m, t.targetForwards()));
        header(sb, "tandem_mean_accepted_length", "gauge", "Tokens per target step by method (1.0 for ar).");
        totals.forEach((m, t) -> line(sb, "tandem_mean_accepted_length", m, t.meanAcceptedLength()));
        header(sb, "tandem_generation_seconds_total", "counter", "Decoding wall time by method, prompt included.");
        totals.forEach((m, t) -> line(sb, "tandem_generation_seconds_total", m, t.seconds()));

        ForwardBatcher.Counters c = engine.batchCounters();
        header(sb, "tandem_batched_passes_total", "counter", "Batched forward passes (continuous batching).");
        sb.append("tandem_batched_passes_total ").append(c.passes()).append('\n');
        header(sb, "tandem_batched_sequences_total", "counter", "Sequence steps those passes combined (divide by passes: sequences per pass).");
        sb.append("tandem_batched_sequences_total ").append(c.sequences()).append('\n');
        header(sb, "tandem_batched_rows_total", "counter", "Rows (tokens, draft tree nodes included) those passes ran.");
        sb.append("tandem_batched_rows_total ").append(c.rows()).append('\n');
        return sb.toString();
    }

    private static void header(StringBuilder sb, String name, String type, String help) {
        sb.append("# HELP ").append(name).append(' ').append(help).append('\n');
        sb.append("# TYPE ").append(name).append(' ').append(type).append('\n');
    }

    private static void gauge(StringBuilder sb, String name, String help, double value) {
        header(sb, name, "gauge", help);
        sb.append(name).append(' ').append(format(value)).append('\n');
    }

    private static void line(StringBuilder sb, String name, String method, double value) {
        sb.append(name).append("{method=\"").append(method).append("\"} ").append(format(value)).append('\n');
    }

    private static String format(double v) {
        return v == Math.rint(v) && Math.abs(v) < 1e15 ? Long.toString((long) v) : Double.toString(v);
    }
}
