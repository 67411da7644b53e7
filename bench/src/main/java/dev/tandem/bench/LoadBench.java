package dev.tandem.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tandem.api.Engine;
import dev.tandem.decoding.GenerationRequest;
import dev.tandem.decoding.GenerationResult;
import dev.tandem.decoding.SamplingParams;
import dev.tandem.decoding.TokenStream;
import dev.tandem.models.ForwardBatcher;
import dev.tandem.server.LoadGenerator;
import dev.tandem.server.ServerConfig;
import dev.tandem.server.TandemServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * {@code ./tandem bench load}: the server on loopback under 1, 8, 32... concurrent streaming clients
 * (in this JVM, sharing its cores), with continuous batching on and off. Reports tokens/s, latency
 * percentiles, and where a single client's time goes (the engine alone, HTTP without streaming, SSE).
 */
public final class LoadBench {
    private LoadBench() {}

    record Row(String batching, int clients, LoadGenerator.Report report, double sequencesPerPass) {}

    public static void main(String[] args) throws Exception {
        Path modelPath = Path.of(ArThroughput.arg(args, "--model", BenchPaths.defaultModel().toString()));
        int[] clients = Arrays.stream(ArThroughput.arg(args, "--clients", "1,8,32").split(",")).mapToInt(Integer::parseInt).toArray();
        int maxTokens = Integer.parseInt(ArThroughput.arg(args, "--max-tokens", "128"));
        int threads = Integer.parseInt(ArThroughput.arg(args, "--threads", "2"));
        String method = ArThroughput.arg(args, "--method", "ar");
        String modes = ArThroughput.arg(args, "--batching", "on,off");
        double warmup = Double.parseDouble(ArThroughput.arg(args, "--warmup-seconds", "3"));
        int minRequests = Integer.parseInt(ArThroughput.arg(args, "--requests", "32"));
        long batchWaitMicros = Long.parseLong(ArThroughput.arg(args, "--batch-wait-us", "2000"));
        String reportDir = ArThroughput.arg(args, "--report-dir", "");
        Duration deadline = Duration.ofSeconds(Long.parseLong(ArThroughput.arg(args, "--deadline-seconds", "240")));
        int most = Arrays.stream(clients).max().orElse(1);

        ObjectNode body = new ObjectMapper().createObjectNode();
        body.put("model", modelPath.getFileName().toString().replaceFirst("\\.[^.]*$", ""));
        body.put("prompt", "Once upon a time");
        body.put("max_tokens", maxTokens);
        body.put("temperature", 0);
        body.put("method", method);

        List<Row> rows = new ArrayList<>();
        List<String[]> breakdown = new ArrayList<>();
        for (String mode : modes.split(",")) {
            boolean on = mode.equals("on");
            try (Engine engine = Engine.builder(modelPath).threads(threads).batching(on).batchWait(Duration.ofNanos(batchWaitMicros * 1000)).build();
                 TandemServer server = TandemServer.start(engine, ServerConfig.defaults().withPort(0)
                         .withLimits(most, 4 * most, Duration.ofSeconds(120)))) {
                URI base = URI.create("http://127.0.0.1:" + server.port());
                engine.warmUp(Duration.ofMillis((long) (warmup * 1000)), 8);
                LoadGenerator.run(base, null, body, Math.min(8, most), 2, deadline); // warms the HTTP path up
                if (on) {
                    breakdown = singleClient(engine, base, body, maxTokens, method);
                }
                for (int c : clients) {
                    int perClient = Math.max(2, (minRequests + c - 1) / c);
                    ForwardBatcher.Counters before = engine.batchCounters();
                    LoadGenerator.Report r = LoadGenerator.run(base, null, body, c, perClient, deadline);
                    ForwardBatcher.Counters after = engine.batchCounters();
                    double perPass = after.passes() == before.passes() ? 1.0
                            : (double) (after.sequences() - before.sequences()) / (after.passes() - before.passes());
                    rows.add(new Row(mode, c, r, perPass));
                    System.err.printf(Locale.ROOT, "batching %s, %d clients: %d/%d completed, %.0f tokens/s%n", mode, c,
                            r.completed(), r.outcomes().size(), r.tokensPerSecond());
                }
            }
        }
        print(rows, breakdown, maxTokens, threads, method, modelPath);
        if (!reportDir.isEmpty()) {
            LoadReport.write(Path.of(reportDir), rows, breakdown, maxTokens, threads, method);
        }
    }

    /** One client's tokens/s three ways: the engine called directly, HTTP without streaming, and SSE streaming. */
    static List<String[]> singleClient(Engine engine, URI base, ObjectNode body, int maxTokens, String method) throws Exception {
        int reps = 20;
        GenerationRequest req = new GenerationRequest(engine.encode(body.get("prompt").asText()), maxTokens, SamplingParams.GREEDY);
        double[] direct = new double[reps];
        long tokens = 0;
        for (int i = 0; i < reps; i++) {
            long t0 = System.nanoTime();
            GenerationResult r = engine.generate(req, method, TokenStream.NONE);
            direct[i] = r.tokens().length / ((System.nanoTime() - t0) / 1e9);
            tokens = r.tokens().length;
        }
        double[] plain = new double[reps];
        try (HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build()) {
            HttpRequest post = HttpRequest.newBuilder(base.resolve("/v1/completions")).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(body.toString())).build();
            for (int i = 0; i < reps; i++) {
                long t0 = System.nanoTime();
                HttpResponse<String> r = http.send(post, HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() != 200) {
                    throw new IllegalStateException("HTTP " + r.statusCode() + ": " + r.body());
                }
                plain[i] = tokens / ((System.nanoTime() - t0) / 1e9);
            }
        }
        LoadGenerator.Report sse = LoadGenerator.run(base, null, body, 1, reps, Duration.ofSeconds(120));
        double[] streamed = sse.outcomes().stream().filter(LoadGenerator.Outcome::completed)
                .mapToDouble(o -> o.tokens() / o.seconds()).toArray();
        double d = MethodTable.median(direct);
        double p = MethodTable.median(plain);
        double s = MethodTable.median(streamed);
        List<String[]> out = new ArrayList<>();
        out.add(new String[] {"engine.generate, no HTTP", fmt(d), "1.00", fmt(1e6 / d)});
        out.add(new String[] {"HTTP, one JSON answer", fmt(p), String.format(Locale.ROOT, "%.2f", p / d), fmt(1e6 / p)});
        out.add(new String[] {"HTTP + SSE, one event per token", fmt(s), String.format(Locale.ROOT, "%.2f", s / d), fmt(1e6 / s)});
        return out;
    }

    static String fmt(double v) {
        return String.format(Locale.ROOT, "%.0f", v);
    }

    static void print(List<Row> rows, List<String[]> breakdown, int maxTokens, int threads, String method, Path model) {
        System.out.printf(Locale.ROOT, "%s, streaming completions of %d tokens (temperature 0, method %s), %d engine threads, "
                + "clients in the same JVM over loopback%n%n", model.getFileName(), maxTokens, method, threads);
        System.out.println("| batching | clients | requests | completed | failed | tokens/s | vs 1 client | p50 latency s | p99 latency s | p50 first token s | sequences / pass |");
        System.out.println("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        for (Row r : rows) {
            double one = rows.stream().filter(x -> x.batching().equals(r.batching()) && x.clients() == 1)
                    .mapToDouble(x -> x.report().tokensPerSecond()).findFirst().orElse(Double.NaN);
            LoadGenerator.Report rep = r.report();
            System.out.printf(Locale.ROOT, "| %s | %d | %d | %d | %d | %.0f | %.2f | %.3f | %.3f | %.4f | %.2f |%n", r.batching(), r.clients(),
                    rep.outcomes().size(), rep.completed(), rep.failed(), rep.tokensPerSecond(), rep.tokensPerSecond() / one,
                    rep.latency(0.5), rep.latency(0.99), rep.firstToken(0.5), r.sequencesPerPass());
        }
        if (!breakdown.isEmpty()) {
            System.out.println();
            System.out.println("One client, where the time goes (medians of 20 requests):");
            System.out.println("| path | tokens/s | vs engine | µs per token |");
            System.out.println("|---|---:|---:|---:|");
            for (String[] b : breakdown) {
                System.out.println("| " + String.join(" | ", b) + " |");
            }
        }
    }
}
