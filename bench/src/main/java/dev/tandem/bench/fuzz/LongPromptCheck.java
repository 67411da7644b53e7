package dev.tandem.bench.fuzz;

import dev.tandem.api.Engine;
import dev.tandem.server.ServerConfig;
import dev.tandem.server.TandemServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * How long the server takes to refuse a 1 MiB prompt, one at a time and three at once (client and server
 * share the machine: the client's encoding of the megabyte is in the time), and how long {@code /health}
 * takes meanwhile.
 */
final class LongPromptCheck {
    /** Refusal times of one prompt at a time and of three at once; /health times meanwhile (median, p99, max). */
    record Result(double aloneMedianMillis, double threeMedianMillis, double threeMaxMillis, double healthMedianMillis,
                  double healthP99Millis, double healthMaxMillis, int healthChecks) {}

    private LongPromptCheck() {}

    static Result measure(Path shared, int rounds) throws Exception {
        String prompt = "Once upon a time there was a big dog. ".repeat((1 << 20) / 38);
        String body = "{\"model\":\"stories260K\",\"prompt\":\"" + prompt + "\"}";
        ServerConfig config = ServerConfig.defaults().withPort(0).withMaxBodyBytes(2 << 20);
        try (Engine engine = Engine.builder(shared.resolve("models/stories260k/stories260K.bin")).threads(2).build();
             TandemServer server = TandemServer.start(engine, config);
             HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build()) {
            URI base = URI.create("http://127.0.0.1:" + server.port());
            AtomicBoolean done = new AtomicBoolean();
            List<Double> health = new ArrayList<>();
            Thread poller = Thread.ofPlatform().start(() -> {
                while (!done.get()) {
                    long t0 = System.nanoTime();
                    try {
                        http.send(HttpRequest.newBuilder(base.resolve("/health")).build(), HttpResponse.BodyHandlers.ofString());
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                    synchronized (health) {
                        health.add((System.nanoTime() - t0) / 1e6);
                    }
                }
            });
            List<Double> alone = new ArrayList<>();
            List<Double> refuse = new ArrayList<>();
            for (int r = 0; r < 2 * rounds; r++) {
                int n = r % 2 == 0 ? 1 : 3;
                List<CompletableFuture<Double>> three = new ArrayList<>();
                for (int i = 0; i < n; i++) {
                    long t0 = System.nanoTime();
                    three.add(http.sendAsync(HttpRequest.newBuilder(base.resolve("/v1/completions"))
                                    .POST(HttpRequest.BodyPublishers.ofString(body)).timeout(Duration.ofSeconds(30)).build(),
                            HttpResponse.BodyHandlers.ofString()).thenApply(resp -> {
                                if (resp.statusCode() != 400 || !resp.body().contains("context_length_exceeded")) {
                                    throw new IllegalStateException("expected a context_length_exceeded refusal, got " + resp.statusCode());
                                }
                                return (System.nanoTime() - t0) / 1e6;
                            }));
                }
                for (CompletableFuture<Double> f : three) {
                    (n == 1 ? alone : refuse).add(f.get());
                }
            }
            done.set(true);
            poller.join();
            refuse.sort(null);
            alone.sort(null);
            synchronized (health) {
                health.sort(null);
                return new Result(alone.get(alone.size() / 2), refuse.get(refuse.size() / 2), refuse.getLast(), health.get(health.size() / 2),
                        health.get((int) Math.min(health.size() - 1, Math.ceil(health.size() * 0.99) - 1)), health.getLast(), health.size());
            }
        }
    }
}
