package dev.tandem.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpServer;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The load generator's bookkeeping against a stand-in SSE server, without an engine. */
class LoadGeneratorTest {
    /**
     * A request whose stream outlives the deadline (its response headers came in time, so no HTTP timeout ends it)
     * costs only itself: the client's completed requests before it still count.
     */
    @Test
    void aStreamStillOpenAtTheDeadlineLosesOnlyItsOwnRequest() throws Exception {
        AtomicInteger requests = new AtomicInteger();
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        server.createContext("/v1/completions", ex -> {
            ex.getRequestBody().readAllBytes();
            ex.getResponseHeaders().add("Content-Type", "text/event-stream");
            ex.sendResponseHeaders(200, 0);
            try (OutputStream out = ex.getResponseBody()) {
                out.write("data: {\"choices\":[{\"text\":\"a\"}]}\n\n".getBytes(StandardCharsets.UTF_8));
                out.flush();
                if (requests.incrementAndGet() > 2) {
                    Thread.sleep(20_000); // the third request stalls mid-stream
                }
                out.write("data: {\"choices\":[],\"usage\":{\"completion_tokens\":1}}\n\ndata: [DONE]\n\n".getBytes(StandardCharsets.UTF_8));
            } catch (InterruptedException | java.io.IOException e) {
                // the client went away
            }
        });
        server.start();
        try {
            ObjectNode body = new ObjectMapper().createObjectNode().put("prompt", "x").put("max_tokens", 1);
            URI base = URI.create("http://127.0.0.1:" + server.getAddress().getPort());
            LoadGenerator.Report r = LoadGenerator.run(base, null, body, 1, 4, Duration.ofSeconds(1));
            assertEquals(4, r.outcomes().size());
            assertEquals(2, r.completed(), "the two requests before the stalled one count");
            assertTrue(r.outcomes().get(0).completed() && r.outcomes().get(1).completed());
            assertFalse(r.outcomes().get(2).completed());
            assertTrue(r.wallSeconds() < 15, "the stalled stream is ended, not waited for: " + r.wallSeconds());
        } finally {
            server.stop(0);
        }
    }
}
