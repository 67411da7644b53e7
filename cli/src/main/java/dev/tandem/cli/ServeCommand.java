package dev.tandem.cli;

import dev.tandem.options.BatchFlags;
import dev.tandem.options.MethodFlags;
import dev.tandem.api.Engine;
import dev.tandem.core.TandemException;
import dev.tandem.models.Model;
import dev.tandem.server.ServerConfig;
import dev.tandem.server.TandemServer;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import sun.misc.Signal;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "serve", mixinStandardHelpOptions = true,
        description = {"Serve the model over an OpenAI-compatible HTTP API (/v1/completions, /v1/chat/completions, /v1/models, "
                + "/health, /metrics) until stopped (Ctrl-C)."})
final class ServeCommand extends TandemCommand {
    @Mixin
    ModelOptions modelOptions;

    @Option(names = "--host", paramLabel = "ADDR", defaultValue = "127.0.0.1",
            description = "Address to bind (default: ${DEFAULT-VALUE}, this machine only; 0.0.0.0 for every interface).")
    String host;

    @Option(names = "--port", paramLabel = "N", defaultValue = "8080", description = "Port, 0 for any free one (default: ${DEFAULT-VALUE}).")
    int port;

    @Option(names = "--api-key", paramLabel = "KEY",
            description = "Require 'Authorization: Bearer KEY' on /v1/* (default: $TANDEM_API_KEY, else no key).")
    String apiKey;

    @Option(names = "--max-concurrent", paramLabel = "N", defaultValue = "32",
            description = "Generations running at once, decoded together (default: ${DEFAULT-VALUE}).")
    int maxConcurrent;

    @Option(names = "--max-queue", paramLabel = "N", defaultValue = "128",
            description = "Requests waiting for a slot; beyond it: 429 (default: ${DEFAULT-VALUE}).")
    int maxQueue;

    @Option(names = "--queue-timeout", paramLabel = "SECONDS", defaultValue = "30",
            description = "Longest wait for a slot before a 503 (default: ${DEFAULT-VALUE}).")
    double queueTimeout;

    @Option(names = "--max-body-bytes", paramLabel = "N", defaultValue = "1048576",
            description = "Largest request body; beyond it: 413 (default: ${DEFAULT-VALUE}).")
    long maxBodyBytes;

    @Option(names = "--idle-timeout", paramLabel = "SECONDS", defaultValue = "30",
            description = "Longest silence from a client; a request body that stalls this long is answered 408 (default: ${DEFAULT-VALUE}).")
    double idleTimeout;

    @Option(names = "--shutdown-timeout", paramLabel = "SECONDS", defaultValue = "10",
            description = "On SIGTERM or Ctrl-C, how long running requests may finish before they are cancelled (default: ${DEFAULT-VALUE}).")
    double shutdownTimeout;

    @Mixin
    MethodFlags methodFlags;

    @Option(names = "--batching", paramLabel = "auto|on|off", defaultValue = "auto",
            description = "Decode concurrent requests together in one forward pass per step; auto: on for models over 32 MB, "
                    + "whose passes are bound by reading weights (default: ${DEFAULT-VALUE}).")
    String batching;

    @Mixin
    BatchFlags batchFlags;

    @Option(names = "--batch-lanes", paramLabel = "N", defaultValue = "0",
            description = "Batched passes running at once, one thread each; 0 = one per thread for models up to 32 MB, else 1 (default: ${DEFAULT-VALUE}).")
    int batchLanes;

    @Option(names = "--warmup-seconds", paramLabel = "S", defaultValue = "2",
            description = "Throwaway generations before serving, so the first requests do not pay for JIT compilation (default: ${DEFAULT-VALUE}).")
    double warmupSeconds;

    @Override
    Integer run() throws Exception {
        methodFlags.check(false);
        if (!batching.equals("auto") && !batching.equals("on") && !batching.equals("off")) {
            throw new TandemException("--batching must be auto, on or off, got '" + batching + "'");
        }
        require(maxConcurrent >= 1, "--max-concurrent must be >= 1", maxConcurrent);
        require(maxQueue >= 0, "--max-queue must be >= 0", maxQueue);
        require(queueTimeout > 0, "--queue-timeout must be > 0", queueTimeout);
        require(maxBodyBytes >= 1, "--max-body-bytes must be >= 1", maxBodyBytes);
        batchFlags.check();
        require(idleTimeout > 0, "--idle-timeout must be > 0", idleTimeout);
        require(shutdownTimeout >= 0, "--shutdown-timeout must be >= 0", shutdownTimeout);
        require(port >= 0 && port <= 65535, "--port must be between 0 and 65535", port);
        String key = apiKey != null ? apiKey : System.getenv("TANDEM_API_KEY");
        Engine.Builder b = batchFlags.applyTo(Engine.builder(modelOptions.modelPath()));
        if (!batching.equals("auto")) {
            b.batching(batching.equals("on"));
        }
        if (modelOptions.tokenizer != null) {
            b.tokenizer(modelOptions.tokenizer);
        }
        if (!modelOptions.device.equals("cpu")) {
            b.backend(modelOptions.backend()); // the engine owns it; one shared pass at a time, as any given backend
        } else if (modelOptions.threads != null) {
            b.threads(modelOptions.threads);
        }
        b.contextSize(modelOptions.ctxSize);
        if (batchLanes > 0) {
            b.batchLanes(batchLanes);
        } else if (batchLanes < 0) {
            throw new TandemException("--batch-lanes must be >= 0, got " + batchLanes);
        }
        ServerConfig config = new ServerConfig(host, port, key == null || key.isEmpty() ? null : key, maxConcurrent, maxQueue,
                seconds(queueTimeout), maxBodyBytes, methodFlags.method(), dev.tandem.server.ChatTemplate.plain())
                .withTimeouts(seconds(idleTimeout), seconds(shutdownTimeout));
        List<Model> drafts = methodFlags.loadDraftModels(); // the server's requests share them for its whole life
        try (Engine engine = b.methodOptions(methodFlags.options(drafts)).build()) {
            config = config.withChatTemplate(chatTemplate(engine));
            if (warmupSeconds > 0) {
                stderr.printf("tandem: warming up for %.1f s...%n", warmupSeconds);
                engine.warmUp(seconds(warmupSeconds), 4);
            }
            serve(engine, config);
        } finally {
            drafts.forEach(Model::close);
        }
        return 0;
    }

    /** One line naming the flag, its rule and the value given, where the value breaks the rule (NaN breaks every rule). */
    private static void require(boolean ok, String rule, Object given) {
        if (!ok) {
            throw new TandemException(rule + ", got " + given);
        }
    }

    /**
     * Serves until SIGTERM or SIGINT, then stops as the deadline allows (finish, else cancel) and returns,
     * so the process exits 0 with one line saying what happened, never a shutdown trace.
     */
    private void serve(Engine engine, ServerConfig config) throws InterruptedException {
        CountDownLatch stop = new CountDownLatch(1);
        for (String signal : new String[] {"TERM", "INT"}) {
            Signal.handle(new Signal(signal), s -> stop.countDown());
        }
        try (TandemServer server = TandemServer.start(engine, config)) {
            stderr.printf("tandem: serving %s on http://%s:%d (OpenAI API under /v1; /health, /metrics)%s%n", engine.modelId(),
                    host, server.port(), config.apiKey() != null ? ", API key required" : "");
            stop.await();
            stderr.printf("tandem: stopping: running requests have %.1f s to finish%n", config.shutdownTimeout().toMillis() / 1000.0);
            TandemServer.Shutdown done = server.shutdown(config.shutdownTimeout());
            stderr.printf("tandem: stopped (%d requests finished, %d cancelled)%n", done.finished(), done.cancelled());
        }
    }

    /** A duration given in seconds, to the millisecond. */
    private static Duration seconds(double s) {
        return Duration.ofMillis((long) (s * 1000));
    }

    private dev.tandem.server.ChatTemplate chatTemplate(Engine engine) {
        return PromptFormats.forServer(engine.tokenizer(), warning -> stderr.println("tandem: " + warning));
    }
}
