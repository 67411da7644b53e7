package dev.tandem.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * A bounded load test against a running server: {@code clients} concurrent streaming clients, each sending
 * {@code requestsPerClient} completions one after the other over {@code java.net.http} and reading their
 * server-sent events to {@code [DONE]}. Every request is accounted for (completed or failed with its
 * reason); nothing runs past the deadline. Meant for loopback addresses only.
 */
public final class LoadGenerator {
    private static final com.fasterxml.jackson.databind.ObjectMapper JSON = new com.fasterxml.jackson.databind.ObjectMapper();

    /**
     * What one request saw. {@code tokenGaps}: seconds between consecutive token events (the inter-token
     * latencies; a speculative step's accepted tokens arrive as a burst of near-zero gaps).
     */
    public record Outcome(boolean completed, int tokens, String text, double seconds, double firstTokenSeconds, String failure,
                          double[] tokenGaps) {
        public Outcome(boolean completed, int tokens, String text, double seconds, double firstTokenSeconds, String failure) {
            this(completed, tokens, text, seconds, firstTokenSeconds, failure, new double[0]);
        }
    }

    /** All requests of a run. */
    public record Report(int clients, List<Outcome> outcomes, double wallSeconds) {
        public long completed() {
            return outcomes.stream().filter(Outcome::completed).count();
        }

        public long failed() {
            return outcomes.size() - completed();
        }

        public long tokens() {
            return outcomes.stream().mapToLong(Outcome::tokens).sum();
        }

        /** Tokens of all completed requests over the wall time of the run. */
        public double tokensPerSecond() {
            return tokens() / wallSeconds;
        }

        /** Latency (request sent to [DONE]) at quantile q of the completed requests. */
        public double latency(double q) {
            return quantile(outcomes.stream().filter(Outcome::completed).mapToDouble(Outcome::seconds).toArray(), q);
        }

        public double firstToken(double q) {
            return quantile(outcomes.stream().filter(Outcome::completed).mapToDouble(Outcome::firstTokenSeconds).toArray(), q);
        }

        /** Inter-token latency at quantile q over every gap between token events of the completed requests. */
        public double interToken(double q) {
            return quantile(outcomes.stream().filter(Outcome::completed).flatMapToDouble(o -> Arrays.stream(o.tokenGaps())).toArray(), q);
        }
    }

    private LoadGenerator() {}

    /**
     * Runs the load. {@code body} is the completion request (its "stream" is forced on and
     * "stream_options.include_usage" asked for, so token counts come from the server's usage).
     */
    public static Report run(URI base, String apiKey, ObjectNode body, int clients, int requestsPerClient, Duration deadline)
            throws InterruptedException {
        return run(base, apiKey, List.of(body), clients, requestsPerClient, deadline);
    }

    /** The same, request r of client c sending {@code bodies[(c + r) % bodies.size()]} (prompts in rotation). */
    public static Report run(URI base, String apiKey, List<ObjectNode> bodies, int clients, int requestsPerClient, Duration deadline)
            throws InterruptedException {
        List<byte[]> payloads = new ArrayList<>();
        for (ObjectNode body : bodies) {
            ObjectNode req = body.deepCopy();
            req.put("stream", true);
            req.putObject("stream_options").put("include_usage", true);
            payloads.add(req.toString().getBytes(StandardCharsets.UTF_8));
        }
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .executor(Executors.newVirtualThreadPerTaskExecutor()).connectTimeout(Duration.ofSeconds(5)).build();
        long end = System.nanoTime() + deadline.toNanos();
        // each client's outcomes as they come, so that one still streaming at the deadline loses only its own request
        List<List<Outcome>> perClient = new ArrayList<>();
        List<Future<?>> futures = new ArrayList<>();
        long start = System.nanoTime();
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int c = 0; c < clients; c++) {
                int client = c;
                List<Outcome> mine = java.util.Collections.synchronizedList(new ArrayList<>());
                perClient.add(mine);
                futures.add(pool.submit(() -> {
                    for (int r = 0; r < requestsPerClient; r++) {
                        if (System.nanoTime() > end) {
                            mine.add(new Outcome(false, 0, "", 0, 0, "deadline passed before it was sent"));
                            continue;
                        }
                        mine.add(one(http, base, apiKey, payloads.get((client + r) % payloads.size()), end));
                    }
                }));
            }
            List<Outcome> all = new ArrayList<>();
            for (int c = 0; c < clients; c++) {
                String unfinished = null;
                try {
                    futures.get(c).get(Math.max(1, end - System.nanoTime()) + TimeUnit.SECONDS.toNanos(5), TimeUnit.NANOSECONDS);
                } catch (Exception e) { // a request's response headers met the deadline, its stream did not end
                    unfinished = "client did not finish: " + e;
                    http.shutdownNow(); // ends the streams still open, so the pool can close
                    futures.get(c).cancel(true);
                }
                List<Outcome> done;
                synchronized (perClient.get(c)) {
                    done = new ArrayList<>(perClient.get(c));
                }
                all.addAll(done);
                for (int r = done.size(); r < requestsPerClient; r++) {
                    all.add(new Outcome(false, 0, "", 0, 0, unfinished != null ? unfinished : "not sent"));
                }
            }
            return new Report(clients, all, (System.nanoTime() - start) / 1e9);
        } finally {
            http.shutdownNow();
        }
    }

    private static Outcome one(HttpClient http, URI base, String apiKey, byte[] payload, long end) {
        long t0 = System.nanoTime();
        HttpRequest.Builder b = HttpRequest.newBuilder(base.resolve("/v1/completions"))
                .timeout(Duration.ofNanos(Math.max(1, end - t0)))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(payload));
        if (apiKey != null) {
            b.header("Authorization", "Bearer " + apiKey);
        }
        try {
            HttpResponse<InputStream> resp = http.send(b.build(), HttpResponse.BodyHandlers.ofInputStream());
            try (BufferedReader in = new BufferedReader(new InputStreamReader(resp.body(), StandardCharsets.UTF_8))) {
                if (resp.statusCode() != 200) {
                    return new Outcome(false, 0, "", 0, 0, "HTTP " + resp.statusCode() + ": " + in.readLine());
                }
                StringBuilder text = new StringBuilder();
                double first = -1;
                double last = -1;
                List<Double> gaps = new ArrayList<>();
                int tokens = -1;
                String line;
                while ((line = in.readLine()) != null) {
                    if (!line.startsWith("data: ")) {
                        continue;
                    }
                    String data = line.substring(6);
                    if (data.equals("[DONE]")) {
                        double s = (System.nanoTime() - t0) / 1e9;
                        return tokens < 0 ? new Outcome(false, 0, text.toString(), s, first, "no usage chunk")
                                : new Outcome(true, tokens, text.toString(), s, first, null, gaps.stream().mapToDouble(Double::doubleValue).toArray());
                    }
                    JsonNode chunk = JSON.readTree(data);
                    if (chunk.has("usage") && chunk.get("usage").has("completion_tokens")) {
                        tokens = chunk.get("usage").get("completion_tokens").asInt();
                    }
                    JsonNode choices = chunk.path("choices");
                    if (choices.size() > 0 && choices.get(0).path("text").isTextual()) {
                        double now = (System.nanoTime() - t0) / 1e9;
                        if (first < 0) {
                            first = now;
                        } else {
                            gaps.add(now - last);
                        }
                        last = now;
                        text.append(choices.get(0).get("text").asText());
                    }
                }
                return new Outcome(false, 0, text.toString(), (System.nanoTime() - t0) / 1e9, first, "stream ended without [DONE]");
            }
        } catch (Exception e) {
            return new Outcome(false, 0, "", (System.nanoTime() - t0) / 1e9, 0, e.toString());
        }
    }

    static double quantile(double[] values, double q) {
        if (values.length == 0) {
            return Double.NaN;
        }
        double[] s = values.clone();
        Arrays.sort(s);
        int i = (int) Math.ceil(q * s.length) - 1;
        return s[Math.max(0, Math.min(s.length - 1, i))];
    }
}
