package dev.tandem.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tandem.api.Engine;
import dev.tandem.decoding.GenerationRequest;
import dev.tandem.decoding.GenerationResult;
import dev.tandem.decoding.SamplingParams;
import dev.tandem.decoding.TokenStream;
import dev.tandem.models.ForwardBatcher;
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
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code ./tandem bench load}: the server on loopback under 1, 8, 32... concurrent streaming clients
 * (in this JVM, sharing its cores), with continuous batching on and off. Reports tokens/s, latency
 * percentiles, and where a single client's time goes (the engine alone, HTTP without streaming, SSE).
 */
@Command(name = "load", mixinStandardHelpOptions = true,
        description = "The server on loopback under concurrent streaming clients, continuous batching on and off.")
public final class LoadBench implements Callable<Integer> {
    @Mixin
    ModelOption model;

    @Mixin
    TokenizerOption tokenizer;

    @Option(names = "--clients", split = ",", paramLabel = "N[,N...]", description = "Concurrent clients (default: 1,8,32).")
    int[] clients = {1, 8, 32};

    @Option(names = "--max-tokens", paramLabel = "N", description = "Tokens per request (default: ${DEFAULT-VALUE}).")
    int maxTokens = 128;

    @Option(names = "--batching", paramLabel = "on,off", description = "Batching modes to compare (default: ${DEFAULT-VALUE}).")
    String modes = "on,off";

    @Option(names = "--method", paramLabel = "NAME", description = "Decoding method (default: ${DEFAULT-VALUE}).")
    String method = "ar";

    @Option(names = "--threads", paramLabel = "N", description = "Engine threads (default: ${DEFAULT-VALUE}).")
    int threads = 2;

    @Option(names = "--rounds", paramLabel = "N", description = "Rounds, interleaving modes and client counts (default: ${DEFAULT-VALUE}).")
    int rounds = 3;

    @Option(names = "--requests", paramLabel = "N", description = "Requests per cell and round at least (default: ${DEFAULT-VALUE}).")
    int minRequests = 32;

    @Option(names = "--lanes", paramLabel = "N", description = "Batch lanes, 0 for the engine's choice (default: ${DEFAULT-VALUE}).")
    int lanes = 0;

    @Option(names = "--batch-wait-us", paramLabel = "US", description = "Longest wait for a pass to fill (default: ${DEFAULT-VALUE}).")
    long batchWaitMicros = 2000;

    @Option(names = "--deadline-seconds", paramLabel = "S", description = "Longest a cell may run (default: ${DEFAULT-VALUE}).")
    long deadlineSeconds = 120;

    @Option(names = "--warmup-seconds", paramLabel = "S", description = "Engine warm-up (default: ${DEFAULT-VALUE}).")
    double warmup = 3;

    @Mixin
    ReportDirOption reportDir;

    @Option(names = "--report-name", paramLabel = "NAME", description = "File name stem of the report (default: ${DEFAULT-VALUE}).")
    String reportName = "load";

    /** One batching mode at one client count: every request of every round, and the median round's tokens/s. */
    record Row(String batching, int clients, List<LoadGenerator.Outcome> outcomes, double tokensPerSecond, double sequencesPerPass) {
        long completed() {
            return outcomes.stream().filter(LoadGenerator.Outcome::completed).count();
        }

        double latency(double q) {
            return new LoadGenerator.Report(clients, outcomes, 1).latency(q);
        }

        double firstToken(double q) {
            return new LoadGenerator.Report(clients, outcomes, 1).firstToken(q);
        }
    }

    private record Setup(String mode, Engine engine, TandemServer server, URI base) {}

    /** Parses {@code args} and runs (for callers in the same JVM; errors propagate). */
    public static void main(String[] args) throws Exception {
        Main.run(new LoadBench(), args);
    }

    @Override
    public Integer call() throws Exception {
        Duration deadline = Duration.ofSeconds(deadlineSeconds);
        int most = Arrays.stream(clients).max().orElse(1);

        ObjectNode body = new ObjectMapper().createObjectNode();
        body.put("model", model.path.getFileName().toString().replaceFirst("\\.[^.]*$", ""));
        body.put("prompt", "Once upon a time");
        body.put("max_tokens", maxTokens);
        body.put("temperature", 0);
        body.put("method", method);

        List<Setup> setups = new ArrayList<>();
        try {
            for (String mode : modes.split(",")) {
                Engine.Builder eb = Engine.builder(model.path).threads(threads).batching(mode.equals("on"))
                        .batchWait(Duration.ofNanos(batchWaitMicros * 1000));
                if (lanes > 0) {
                    eb.batchLanes(lanes);
                }
                if (tokenizer.path != null) {
                    eb.tokenizer(tokenizer.path);
                }
                Engine engine = eb.build();
                TandemServer server = TandemServer.start(engine, ServerConfig.defaults().withPort(0)
                        .withLimits(most, 4 * most, Duration.ofSeconds(120)));
                setups.add(new Setup(mode, engine, server, URI.create("http://127.0.0.1:" + server.port())));
            }
            for (Setup s : setups) {
                s.engine().warmUp(Duration.ofMillis((long) (warmup * 1000)), 8);
                LoadGenerator.run(s.base(), null, body, Math.min(8, most), 2, deadline); // warms the HTTP path up
            }
            List<String[]> breakdown = singleClient(setups.get(0).engine(), setups.get(0).base(), body, maxTokens, method);
            // rounds interleave the modes and client counts, so that a noisy moment of a shared machine falls on all of them
            java.util.Map<String, List<LoadGenerator.Outcome>> outcomes = new java.util.LinkedHashMap<>();
            java.util.Map<String, double[]> tps = new java.util.HashMap<>();
            java.util.Map<String, double[]> perPass = new java.util.HashMap<>();
            for (int round = 0; round < rounds; round++) {
                for (int c : clients) {
                    for (Setup s : setups) {
                        String key = s.mode() + "|" + c;
                        int perClient = Math.max(2, (minRequests + c - 1) / c);
                        ForwardBatcher.Counters before = s.engine().batchCounters();
                        LoadGenerator.Report r = LoadGenerator.run(s.base(), null, body, c, perClient, deadline);
                        ForwardBatcher.Counters after = s.engine().batchCounters();
                        outcomes.computeIfAbsent(key, k -> new ArrayList<>()).addAll(r.outcomes());
                        tps.computeIfAbsent(key, k -> new double[rounds])[round] = r.tokensPerSecond();
                        perPass.computeIfAbsent(key, k -> new double[rounds])[round] = after.passes() == before.passes() ? 1.0
                                : (double) (after.sequences() - before.sequences()) / (after.passes() - before.passes());
                        System.err.printf(Locale.ROOT, "round %d, batching %s, %d clients: %d/%d completed, %.0f tokens/s%n", round + 1,
                                s.mode(), c, r.completed(), r.outcomes().size(), r.tokensPerSecond());
                    }
                }
            }
            List<Row> rows = new ArrayList<>();
            for (Setup s : setups) {
                for (int c : clients) {
                    String key = s.mode() + "|" + c;
                    rows.add(new Row(s.mode(), c, outcomes.get(key), MethodTable.median(tps.get(key)), MethodTable.median(perPass.get(key))));
                }
            }
            print(rows, breakdown, maxTokens, threads, method, model.path, rounds);
            if (reportDir.orNull() != null) {
                LoadReport.write(reportDir.orNull(), reportName, model.path.getFileName().toString().replaceFirst("\\.[^.]*$", ""), rows, breakdown, maxTokens, threads,
                        method, rounds);
            }
        } finally {
            for (Setup s : setups) {
                s.server().close();
                s.engine().close();
            }
        }
        return 0;
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

    static void print(List<Row> rows, List<String[]> breakdown, int maxTokens, int threads, String method, Path model, int rounds) {
        System.out.printf(Locale.ROOT, "%s, streaming completions of %d tokens (temperature 0, method %s), %d engine threads, "
                + "clients in the same JVM over loopback; tokens/s: median of %d rounds%n%n", model.getFileName(), maxTokens, method, threads, rounds);
        System.out.println("| batching | clients | requests | completed | tokens/s | vs 1 client | p50 latency s | p99 latency s | p50 first token s | sequences / pass |");
        System.out.println("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        for (Row r : rows) {
            System.out.printf(Locale.ROOT, "| %s | %d | %d | %d | %.0f | %.2f | %.3f | %.3f | %.4f | %.2f |%n", r.batching(), r.clients(),
                    r.outcomes().size(), r.completed(), r.tokensPerSecond(), r.tokensPerSecond() / oneClient(rows, r),
                    r.latency(0.5), r.latency(0.99), r.firstToken(0.5), r.sequencesPerPass());
        }
        System.out.println();
        System.out.println("One client, where the time goes (medians of 20 requests):");
        System.out.println("| path | tokens/s | vs engine | µs per token |");
        System.out.println("|---|---:|---:|---:|");
        for (String[] b : breakdown) {
            System.out.println("| " + String.join(" | ", b) + " |");
        }
    }

    static double oneClient(List<Row> rows, Row r) {
        return rows.stream().filter(x -> x.batching().equals(r.batching()) && x.clients() == 1)
                .mapToDouble(Row::tokensPerSecond).findFirst().orElse(Double.NaN);
    }
}
