package dev.tandem.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tandem.api.Engine;
import dev.tandem.core.TandemException;
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
 * (in this JVM, sharing its cores), with continuous batching on and off, and with {@code --method} other
 * than ar, that method beside ar in the same rounds. Requests rotate over the benchmark prompts. Reports
 * tokens/s, latency, first-token and inter-token percentiles, and where a single client's time goes (the
 * engine alone, HTTP without streaming, SSE).
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

    /** --method and its settings, as generate and serve take them: that method is measured beside ar. */
    @Mixin
    dev.tandem.options.MethodFlags methodFlags;

    @Mixin
    ThreadsOption threads;

    /** A round interleaves the batching modes, methods and client counts. */
    @Mixin
    RoundsOption rounds = new RoundsOption(3);

    @Option(names = "--requests", paramLabel = "N", description = "Requests per cell and round at least (default: ${DEFAULT-VALUE}).")
    int minRequests = 32;

    @Option(names = "--lanes", paramLabel = "N", description = "Batch lanes, 0 for the engine's choice (default: ${DEFAULT-VALUE}).")
    int lanes = 0;

    /** --batch-wait-us and --prefill-chunk, as serve takes them. */
    @Mixin
    dev.tandem.options.BatchFlags batchFlags;

    @Option(names = "--deadline-seconds", paramLabel = "S", description = "Longest a cell may run (default: ${DEFAULT-VALUE}).")
    long deadlineSeconds = 120;

    /** The engine's warm-up, then at least this long of each method under load before the rounds. */
    @Mixin
    WarmupOption warmup = new WarmupOption(3);

    @Mixin
    ReportDirOption reportDir;

    @Option(names = "--report-name", paramLabel = "NAME", description = "File name stem of the report (default: ${DEFAULT-VALUE}).")
    String reportName = "load";

    /** One batching mode, method and client count: every request of every round, and the median round's tokens/s. */
    record Row(String batching, String method, int clients, List<LoadGenerator.Outcome> outcomes, double tokensPerSecond,
               double sequencesPerPass) {
        long completed() {
            return outcomes.stream().filter(LoadGenerator.Outcome::completed).count();
        }

        private LoadGenerator.Report report() {
            return new LoadGenerator.Report(clients, outcomes, 1);
        }

        double latency(double q) {
            return report().latency(q);
        }

        double firstToken(double q) {
            return report().firstToken(q);
        }

        double interToken(double q) {
            return report().interToken(q);
        }
    }

    /** The table's columns, for the terminal and the report files alike. */
    static final List<String> HEADER = List.of("batching", "method", "clients", "requests", "completed", "failed", "tokens/s", "vs 1 client",
            "vs ar", "p50 latency s", "p99 latency s", "p50 first token s", "p99 first token s", "p50 inter-token ms",
            "p99 inter-token ms", "sequences / pass");

    static List<List<String>> cells(List<Row> rows) {
        List<List<String>> out = new ArrayList<>();
        for (Row r : rows) {
            out.add(List.of(r.batching(), r.method(), Integer.toString(r.clients()), Integer.toString(r.outcomes().size()),
                    Long.toString(r.completed()), Long.toString(r.outcomes().size() - r.completed()), fmt(r.tokensPerSecond()), two(r.tokensPerSecond() / same(rows, r, r.method(), 1)),
                    two(r.tokensPerSecond() / same(rows, r, "ar", r.clients())), three(r.latency(0.5)), three(r.latency(0.99)),
                    String.format(Locale.ROOT, "%.4f", r.firstToken(0.5)), String.format(Locale.ROOT, "%.4f", r.firstToken(0.99)),
                    String.format(Locale.ROOT, "%.2f", 1e3 * r.interToken(0.5)), String.format(Locale.ROOT, "%.2f", 1e3 * r.interToken(0.99)),
                    two(r.sequencesPerPass())));
        }
        return out;
    }

    private static String two(double v) {
        return String.format(Locale.ROOT, "%.2f", v);
    }

    private static String three(double v) {
        return String.format(Locale.ROOT, "%.3f", v);
    }

    private record Setup(String mode, Engine engine, TandemServer server, URI base) {}

    /** One batching mode, method and client count, filled round by round. */
    private record Cell(Setup setup, String method, int clients, List<LoadGenerator.Outcome> outcomes, double[] tokensPerSecond,
                        double[] sequencesPerPass) {}

    /** One round of a cell: its clients' requests, tokens/s and how many sequences each batched pass combined. */
    private void measure(Cell cell, int round, Duration deadline) throws InterruptedException {
        Setup s = cell.setup();
        int c = cell.clients();
        ForwardBatcher.Counters before = s.engine().batchCounters();
        LoadGenerator.Report r = LoadGenerator.run(s.base(), null, bodies(cell.method()), c, Math.max(2, (minRequests + c - 1) / c), deadline);
        ForwardBatcher.Counters after = s.engine().batchCounters();
        cell.outcomes().addAll(r.outcomes());
        cell.tokensPerSecond()[round] = r.tokensPerSecond();
        cell.sequencesPerPass()[round] = after.passes() == before.passes() ? 1.0
                : (double) (after.sequences() - before.sequences()) / (after.passes() - before.passes());
        System.err.printf(Locale.ROOT, "round %d, batching %s, %s, %d clients: %d/%d completed, %.0f tokens/s%n", round + 1,
                s.mode(), cell.method(), c, r.completed(), r.outcomes().size(), r.tokensPerSecond());
    }

    /** Parses {@code args} and runs (for callers in the same JVM; errors propagate). */
    public static void main(String[] args) throws Exception {
        Main.run(new LoadBench(), args);
    }

    private final java.util.Map<String, List<ObjectNode>> bodies = new java.util.HashMap<>();

    /** The completion requests of one method, one per benchmark prompt, greedy (made once per method). */
    private List<ObjectNode> bodies(String method) {
        return bodies.computeIfAbsent(method, this::newBodies);
    }

    private List<ObjectNode> newBodies(String method) {
        ObjectMapper json = new ObjectMapper();
        List<ObjectNode> bodies = new ArrayList<>();
        for (String prompt : MethodTable.PROMPTS) {
            ObjectNode body = json.createObjectNode();
            body.put("model", modelName());
            body.put("prompt", prompt);
            body.put("max_tokens", maxTokens);
            body.put("temperature", 0);
            body.put("method", method);
            bodies.add(body);
        }
        return bodies;
    }

    /** The model's file name without its extension, as requests and reports name it. */
    private String modelName() {
        return model.path.getFileName().toString().replaceFirst("\\.[^.]*$", "");
    }

    @Override
    public Integer call() throws Exception {
        methodFlags.check(false);
        batchFlags.check();
        Duration deadline = Duration.ofSeconds(deadlineSeconds);
        int most = Arrays.stream(clients).max().orElse(1);
        String method = methodFlags.method();
        List<String> methods = method.equals("ar") ? List.of("ar") : List.of("ar", method);

        List<Setup> setups = new ArrayList<>();
        List<dev.tandem.models.Model> drafts = methodFlags.loadDraftModels();
        try {
            for (String mode : modes.split(",")) {
                Engine.Builder eb = batchFlags.applyTo(model.engine()).threads(threads.count).batching(mode.equals("on"))
                        .methodOptions(methodFlags.options(drafts));
                if (lanes > 0) {
                    eb.batchLanes(lanes);
                }
                Engine engine = tokenizer.applyTo(eb).build();
                TandemServer server = TandemServer.start(engine, ServerConfig.defaults().withPort(0)
                        .withLimits(most, 4 * most, Duration.ofSeconds(120)));
                setups.add(new Setup(mode, engine, server, URI.create("http://127.0.0.1:" + server.port())));
            }
            for (Setup s : setups) {
                s.engine().warmUp(warmup.duration(), 8);
                for (String m : methods) {
                    // warms the HTTP path up, and each method's generators, one per concurrent request: the router's
                    // first steps of each try every option, which a server pays once per generator
                    long end = warmup.endFromNow();
                    do {
                        LoadGenerator.run(s.base(), null, bodies(m), Math.min(8, most), 2, deadline);
                    } while (System.nanoTime() < end);
                }
            }
            List<String[]> breakdown = singleClient(setups.get(0).engine(), setups.get(0).base(), bodies(method).get(1), maxTokens, method);
            // rounds interleave the modes, methods and client counts, so that a noisy moment of a shared machine falls on all of them
            java.util.Map<String, Cell> cells = new java.util.LinkedHashMap<>();
            for (Setup s : setups) {
                for (String m : methods) {
                    for (int c : clients) {
                        cells.put(s.mode() + "|" + m + "|" + c, new Cell(s, m, c, new ArrayList<>(), new double[rounds.count], new double[rounds.count]));
                    }
                }
            }
            for (int round = 0; round < rounds.count; round++) {
                for (int c : clients) {
                    for (Cell cell : cells.values()) {
                        if (cell.clients() == c) {
                            measure(cell, round, deadline);
                        }
                    }
                }
            }
            List<Row> rows = cells.values().stream().map(c -> new Row(c.setup().mode(), c.method(), c.clients(), c.outcomes(),
                    MethodTable.median(c.tokensPerSecond()), MethodTable.median(c.sequencesPerPass()))).toList();
            print(rows, breakdown, maxTokens, threads.count, method, model.path, rounds.count);
            if (reportDir.orNull() != null) {
                LoadReport.write(reportDir.orNull(), reportName, modelName(), rows, breakdown, maxTokens, threads.count,
                        method, rounds.count);
            }
        } finally {
            for (Setup s : setups) {
                s.server().close();
                s.engine().close();
            }
            drafts.forEach(dev.tandem.models.Model::close);
        }
        return 0;
    }

    /**
     * One client's tokens/s three ways: the engine called directly, HTTP without streaming, and SSE streaming; each
     * the median of up to 20 requests, fewer where a request takes long (about 20 s of requests each way).
     */
    static List<String[]> singleClient(Engine engine, URI base, ObjectNode body, int maxTokens, String method) throws Exception {
        GenerationRequest req = new GenerationRequest(engine.encode(body.get("prompt").asText()), maxTokens, SamplingParams.GREEDY);
        long first = System.nanoTime();
        long tokens = engine.generate(req, method, TokenStream.NONE).tokens().length;
        double seconds = (System.nanoTime() - first) / 1e9;
        int reps = (int) Math.max(3, Math.min(20, 20 / seconds));
        double[] direct = new double[reps];
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
        Duration deadline = Duration.ofSeconds((long) (60 + 3 * reps * seconds));
        LoadGenerator.Report sse = LoadGenerator.run(base, null, body, 1, reps, deadline);
        double[] streamed = sse.outcomes().stream().filter(LoadGenerator.Outcome::completed)
                .mapToDouble(o -> o.tokens() / o.seconds()).toArray();
        if (streamed.length == 0) {
            throw new TandemException("no streamed request of the single-client breakdown completed within " + deadline.toSeconds()
                    + " s (" + sse.outcomes().size() + " sent)");
        }
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
        System.out.println(caption(model.getFileName().toString(), maxTokens, threads, method, rounds));
        System.out.println();
        System.out.println("| " + String.join(" | ", HEADER) + " |");
        System.out.println("|---|---|" + "---:|".repeat(HEADER.size() - 2));
        for (List<String> row : cells(rows)) {
            System.out.println("| " + String.join(" | ", row) + " |");
        }
        System.out.println();
        System.out.println("One client, where the time goes (method " + method + ", medians of up to 20 requests):");
        System.out.println("| path | tokens/s | vs engine | µs per token |");
        System.out.println("|---|---:|---:|---:|");
        for (String[] b : breakdown) {
            System.out.println("| " + String.join(" | ", b) + " |");
        }
    }

    static String caption(String model, int maxTokens, int threads, String method, int rounds) {
        return String.format(Locale.ROOT, "%s: streaming completions of %d tokens (temperature 0, %s, prompts in rotation), %d engine threads, "
                + "clients in the same JVM over loopback; tokens/s: median of %d rounds", model, maxTokens,
                method.equals("ar") ? "method ar" : "methods ar and " + method + " in the same rounds", threads, rounds);
    }

    /** Tokens/s of the row with r's batching, the given method and client count. */
    static double same(List<Row> rows, Row r, String method, int clients) {
        return rows.stream().filter(x -> x.batching().equals(r.batching()) && x.method().equals(method) && x.clients() == clients)
                .mapToDouble(Row::tokensPerSecond).findFirst().orElse(Double.NaN);
    }
}
