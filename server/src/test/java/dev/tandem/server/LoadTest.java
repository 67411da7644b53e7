package dev.tandem.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tandem.decoding.GenerationRequest;
import dev.tandem.decoding.SamplingParams;
import dev.tandem.decoding.TokenStream;
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
        try (ServerFixture fx = new ServerFixture(ServerConfig.defaults().withLimits(32, 64, Duration.ofSeconds(60)), 1)) {
            String prompt = "Once upon a time, there was a little girl named Lily.";
            ObjectNode body = ServerFixture.JSON.createObjectNode();
            body.put("model", "stories260K");
            body.put("prompt", prompt);
            body.put("max_tokens", 40);
            body.put("temperature", 0);
            String expected = fx.engine.generate(new GenerationRequest(fx.engine.encode(prompt), 40, SamplingParams.GREEDY), "ar",
                    TokenStream.NONE).text();
            long passes = fx.engine.batchCounters().passes();
            long sequences = fx.engine.batchCounters().sequences();

            LoadGenerator.Report r = LoadGenerator.run(fx.base(), null, body, 32, 2, Duration.ofSeconds(90));

            assertEquals(64, r.outcomes().size(), "every request is accounted for");
            r.outcomes().stream().filter(o -> !o.completed()).findFirst()
                    .ifPresent(o -> assertTrue(false, "a request failed: " + o.failure()));
            assertEquals(64 * 40, r.tokens());
            for (LoadGenerator.Outcome o : r.outcomes()) {
                assertEquals(expected, o.text());
            }
            assertTrue(r.latency(0.99) >= r.latency(0.5) && r.tokensPerSecond() > 0);
            double perPass = (double) (fx.engine.batchCounters().sequences() - sequences) / (fx.engine.batchCounters().passes() - passes);
            assertTrue(perPass > 2, "concurrent requests were decoded together: " + perPass + " sequences per pass");
            assertEquals(0, fx.server.activeRequests());
        }
    }
}
