package dev.tandem.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tandem.api.Engine;
import dev.tandem.decoding.GenerationRequest;
import dev.tandem.decoding.SamplingParams;
import dev.tandem.decoding.TokenStream;
import dev.tandem.server.TandemServer;
import java.net.URI;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * A small, bounded version of {@code ./tandem bench load}: 32 concurrent streaming clients over loopback;
 * every request completes, none is lost, and each streamed text is exactly what the engine gives that
 * prompt alone (batching with 31 others changes nothing).
 */
class LoadTest {
    @Test
    void thirtyTwoStreamingClientsAllComplete() throws Exception {
        try (BatchingServer served = BatchingServer.start(32, 64)) {
            Engine engine = served.engine();
            TandemServer server = served.server();
            URI base = URI.create("http://127.0.0.1:" + server.port());
            String prompt = "Once upon a time, there was a little girl named Lily.";
            ObjectNode body = new ObjectMapper().createObjectNode();
            body.put("model", "stories260K");
            body.put("prompt", prompt);
            body.put("max_tokens", 40);
            body.put("temperature", 0);
            String expected = engine.generate(new GenerationRequest(engine.encode(prompt), 40, SamplingParams.GREEDY), "ar",
                    TokenStream.NONE).text();
            long passes = engine.batchCounters().passes();
            long sequences = engine.batchCounters().sequences();

            LoadGenerator.Report r = LoadGenerator.run(base, null, body, 32, 2, Duration.ofSeconds(90));

            assertEquals(64, r.outcomes().size(), "every request is accounted for");
            r.outcomes().stream().filter(o -> !o.completed()).findFirst()
                    .ifPresent(o -> assertTrue(false, "a request failed: " + o.failure()));
            assertEquals(64 * 40, r.tokens());
            for (LoadGenerator.Outcome o : r.outcomes()) {
                assertEquals(expected, o.text());
            }
            assertTrue(r.latency(0.99) >= r.latency(0.5) && r.tokensPerSecond() > 0);
            double perPass = (double) (engine.batchCounters().sequences() - sequences) / (engine.batchCounters().passes() - passes);
            assertTrue(perPass > 2, "concurrent requests were decoded together: " + perPass + " sequences per pass");
            // a client sees [DONE] a moment before its handler returns and frees the slot
            long until = System.nanoTime() + 5_000_000_000L;
            while (server.activeRequests() > 0 && System.nanoTime() < until) {
                Thread.sleep(5);
            }
            assertEquals(0, server.activeRequests());
        }
    }
}
