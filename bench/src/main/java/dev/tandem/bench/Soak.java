package dev.tandem.bench;

import dev.tandem.api.Engine;
import dev.tandem.decoding.GenerationRequest;
import dev.tandem.decoding.SamplingParams;
import dev.tandem.decoding.TokenStream;
import dev.tandem.server.ServerConfig;
import dev.tandem.server.TandemServer;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * A bounded soak test of the server on loopback: concurrent streaming clients, some of which hang up
 * mid-stream at random. Every request is accounted for: a client that stays gets its whole stream exactly
 * once (one finish chunk, one {@code [DONE]}, the text the engine gives that prompt alone at temperature
 * 0); one that leaves frees its slot; nothing is lost, duplicated or left running.
 */
@Command(name = "soak", mixinStandardHelpOptions = true,
        description = "Streaming clients that hang up at random: no request lost, duplicated or left running.")
public final class Soak implements Callable<Integer> {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final List<String> PROMPTS = List.of("Once upon a time", "Tom and his dog went to the park",
            "The sun was shining. Sara wanted to", "Lily and Ben were friends.");
    private static final int[] MAX_TOKENS = {16, 48};

    @Option(names = "--clients", paramLabel = "N", description = "Concurrent clients (default: ${DEFAULT-VALUE}).")
    int clients = 16;

    @Option(names = "--requests", paramLabel = "N", description = "Requests per client (default: ${DEFAULT-VALUE}).")
    int requests = 50;

    @Option(names = "--hang-up", paramLabel = "P", description = "Chance that a client hangs up mid-stream (default: ${DEFAULT-VALUE}).")
    double hangUp = 0.3;

    @Option(names = "--seed", paramLabel = "S", description = "Seed of the clients' choices (default: ${DEFAULT-VALUE}).")
    long seed = 1;

    /** What the soak saw. {@code problems} lists every request that broke the contract (empty when none did). */
    public record Result(int sent, int completed, int hungUp, List<String> problems, int activeAfter, long serverDisconnects,
                         double seconds) {}

    @Override
    public Integer call() throws Exception {
        Path model = BenchPaths.defaultModel();
        try (Engine engine = Engine.builder(model).threads(2).batching(true).batchLanes(1).build();
             TandemServer server = TandemServer.start(engine, ServerConfig.defaults().withPort(0)
                     .withLimits(Math.max(1, clients), 4 * clients, Duration.ofSeconds(60)))) {
            Result r = run(engine, server, clients, requests, hangUp, seed);
            System.out.printf(Locale.ROOT, "soak: %d clients x %d requests (hang-up chance %.2f), %.1f s: %d sent, %d streamed to the end, "
                    + "%d hung up (the server noticed %d), %d running afterwards, %d problems%n", clients, requests, hangUp, r.seconds(),
                    r.sent(), r.completed(), r.hungUp(), r.serverDisconnects(), r.activeAfter(), r.problems().size());
            r.problems().stream().limit(20).forEach(p -> System.out.println("PROBLEM " + p));
            return r.problems().isEmpty() && r.activeAfter() == 0 ? 0 : 1;
        }
    }

    /** Runs the soak against a server of {@code engine}; waits for the server to settle before reporting. */
    public static Result run(Engine engine, TandemServer server, int clients, int requests, double hangUp, long seed) throws Exception {
        String[][] expected = new String[PROMPTS.size()][MAX_TOKENS.length];
        for (int p = 0; p < PROMPTS.size(); p++) {
            for (int m = 0; m < MAX_TOKENS.length; m++) {
                expected[p][m] = engine.generate(new GenerationRequest(engine.encode(PROMPTS.get(p)), MAX_TOKENS[m], SamplingParams.GREEDY),
                        "ar", TokenStream.NONE).text();
            }
        }
        long before = server.clientDisconnects();
        long t0 = System.nanoTime();
        ExecutorService pool = Executors.newFixedThreadPool(clients, Thread.ofPlatform().daemon().name("soak-client-", 0).factory());
        List<Future<int[]>> futures = new ArrayList<>();
        List<String> problems = java.util.Collections.synchronizedList(new ArrayList<>());
        for (int c = 0; c < clients; c++) {
            SplittableRandom rnd = new SplittableRandom(seed * 1000 + c);
            int client = c;
            futures.add(pool.submit(() -> {
                int[] counts = new int[2]; // completed, hung up
                for (int i = 0; i < requests; i++) {
                    int p = rnd.nextInt(PROMPTS.size());
                    int m = rnd.nextInt(MAX_TOKENS.length);
                    int leaveAfter = rnd.nextDouble() < hangUp ? 1 + rnd.nextInt(6) : -1;
                    String problem = stream(server.port(), PROMPTS.get(p), MAX_TOKENS[m], leaveAfter, expected[p][m]);
                    if (problem == null) {
                        counts[leaveAfter > 0 ? 1 : 0]++;
                    } else {
                        problems.add("client " + client + " request " + i + ": " + problem);
                    }
                }
                return counts;
            }));
        }
        int completed = 0;
        int hungUp = 0;
        for (Future<int[]> f : futures) {
            int[] c = f.get(10, TimeUnit.MINUTES);
            completed += c[0];
            hungUp += c[1];
        }
        pool.shutdown();
        long until = System.nanoTime() + 10_000_000_000L;
        while (server.activeRequests() > 0 && System.nanoTime() < until) {
            Thread.sleep(10);
        }
        return new Result(clients * requests, completed, hungUp, List.copyOf(problems), server.activeRequests(),
                server.clientDisconnects() - before, (System.nanoTime() - t0) / 1e9);
    }

    /**
     * One streaming request over a raw socket. With {@code leaveAfter} > 0 the client resets the connection
     * after that many events (a killed client); otherwise it reads to the end. Returns null when the request
     * kept the contract, else what went wrong.
     */
    static String stream(int port, String prompt, int maxTokens, int leaveAfter, String expected) throws IOException {
        String body = "{\"model\":\"stories260K\",\"prompt\":" + JSON.writeValueAsString(prompt) + ",\"max_tokens\":" + maxTokens
                + ",\"temperature\":0,\"stream\":true}";
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        try (Socket s = new Socket("127.0.0.1", port)) {
            s.setSoTimeout(60_000);
            s.getOutputStream().write(("POST /v1/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                    + "Connection: close\r\nContent-Length: " + bytes.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            s.getOutputStream().write(bytes);
            BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8));
            String status = in.readLine();
            if (status == null || !status.startsWith("HTTP/1.1 200")) {
                return "status " + status;
            }
            StringBuilder text = new StringBuilder();
            int events = 0;
            int finishes = 0;
            int done = 0;
            for (String line; (line = in.readLine()) != null; ) {
                if (!line.startsWith("data: ")) {
                    continue;
                }
                events++;
                String data = line.substring(6);
                if (data.equals("[DONE]")) {
                    done++;
                    continue;
                }
                if (done > 0) {
                    return "an event after [DONE]";
                }
                JsonNode choice = JSON.readTree(data).path("choices").path(0);
                text.append(choice.path("text").asText(""));
                if (!choice.path("finish_reason").isNull() && !choice.path("finish_reason").isMissingNode()) {
                    finishes++;
                }
                if (leaveAfter > 0 && events >= leaveAfter) {
                    s.setSoLinger(true, 0); // reset, as a killed client would
                    return null;
                }
            }
            if (done != 1 || finishes != 1) {
                return done + " [DONE] and " + finishes + " finish chunks (expected one of each)";
            }
            return text.toString().equals(expected) ? null : "text " + JSON.writeValueAsString(text.toString()) + " instead of "
                    + JSON.writeValueAsString(expected);
        }
    }
}
