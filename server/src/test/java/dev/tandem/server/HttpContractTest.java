package dev.tandem.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tandem.decoding.GenerationRequest;
import dev.tandem.decoding.SamplingParams;
import dev.tandem.decoding.TokenStream;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The HTTP contract over loopback with {@code java.net.http}: SSE, every documented error, limits, auth, metrics. */
class HttpContractTest {
    private static ServerFixture fx;

    @BeforeAll
    static void start() {
        fx = new ServerFixture(ServerConfig.defaults().withMaxBodyBytes(64 * 1024).withLimits(4, 1, Duration.ofMillis(300)));
    }

    @AfterAll
    static void stop() {
        fx.close();
    }

    /** The data lines of an event stream, in order. */
    static List<String> events(String body) {
        List<String> out = new ArrayList<>();
        for (String line : body.split("\n")) {
            if (line.startsWith("data: ")) {
                out.add(line.substring(6));
            }
        }
        return out;
    }

    @Test
    void sseStreamCarriesTheTextThenFinishReasonUsageAndDone() throws Exception {
        String body = "{\"model\":\"stories260K\",\"prompt\":\"The sun was shining. Sara wanted to\",\"max_tokens\":50,"
                + "\"temperature\":0,\"stream\":true,\"stream_options\":{\"include_usage\":true},\"method\":\"csd\"}";
        ServerFixture.Reply r = fx.post("/v1/completions", body);
        assertEquals(200, r.status());
        assertTrue(r.response().headers().firstValue("Content-Type").orElse("").startsWith("text/event-stream"));
        List<String> events = events(r.raw());
        assertEquals("[DONE]", events.get(events.size() - 1));
        StringBuilder text = new StringBuilder();
        String finish = null;
        JsonNode usage = null;
        for (String e : events.subList(0, events.size() - 1)) {
            JsonNode chunk = ServerFixture.JSON.readTree(e);
            assertEquals("text_completion", chunk.get("object").asText());
            if (chunk.has("usage")) {
                usage = chunk.get("usage");
                continue;
            }
            text.append(chunk.get("choices").get(0).get("text").asText());
            if (!chunk.get("choices").get(0).get("finish_reason").isNull()) {
                finish = chunk.get("choices").get(0).get("finish_reason").asText();
            }
        }
        String expected = fx.engine.generate(new GenerationRequest(fx.engine.encode("The sun was shining. Sara wanted to"), 50,
                SamplingParams.GREEDY), "ar", TokenStream.NONE).text();
        assertEquals(expected, text.toString(), "csd over SSE gives plain greedy decoding's text");
        assertEquals("length", finish);
        assertNotNull(usage);
        assertEquals(50, usage.get("completion_tokens").asInt());
    }

    @Test
    void chatStreamStartsWithTheRoleAndStopsAtTheNextTurn() throws Exception {
        String body = "{\"model\":\"stories260K\",\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"Hello\"}]}],"
                + "\"max_tokens\":20,\"temperature\":0,\"stream\":true}";
        List<String> events = events(fx.post("/v1/chat/completions", body).raw());
        JsonNode first = ServerFixture.JSON.readTree(events.get(0));
        assertEquals("chat.completion.chunk", first.get("object").asText());
        assertEquals("assistant", first.get("choices").get(0).get("delta").get("role").asText());
        assertEquals("[DONE]", events.get(events.size() - 1));
    }

    @Test
    void nonStreamingBodyHasUsageAndTandemStats() throws Exception {
        ServerFixture.Reply r = fx.post("/v1/completions",
                "{\"model\":\"stories260K\",\"prompt\":[\"Lily and Ben were friends.\"],\"max_tokens\":30,\"temperature\":0,\"method\":\"lookup\"}");
        assertEquals(200, r.status(), r.raw());
        assertEquals(30, r.json().get("usage").get("completion_tokens").asInt());
        assertEquals(r.json().get("usage").get("prompt_tokens").asInt() + 30, r.json().get("usage").get("total_tokens").asInt());
        assertEquals("lookup", r.json().get("tandem").get("method").asText());
        assertTrue(r.json().get("tandem").get("mean_accepted_length").asDouble() >= 1.0);
        assertTrue(r.json().get("tandem").get("rows_per_step").asDouble() >= 1.0);
        assertTrue(r.json().get("id").asText().startsWith("cmpl-"));
    }

    static Stream<Arguments> badRequests() {
        String longPrompt = "Once upon a time there was a girl. ".repeat(80);
        return Stream.of(
                Arguments.of("malformed JSON", "/v1/completions", "{\"model\": \"stories260K\", \"prompt\": ", 400, "invalid_json", null),
                Arguments.of("not an object", "/v1/completions", "[1,2]", 400, "invalid_json", null),
                Arguments.of("empty body", "/v1/completions", "", 400, "invalid_json", null),
                Arguments.of("no model", "/v1/completions", "{\"prompt\":\"hi\"}", 400, "missing_required_parameter", "model"),
                Arguments.of("unknown model", "/v1/completions", "{\"model\":\"gpt-4\",\"prompt\":\"hi\"}", 404, "model_not_found", "model"),
                Arguments.of("unknown model (chat)", "/v1/chat/completions",
                        "{\"model\":\"llama\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}", 404, "model_not_found", "model"),
                Arguments.of("prompt longer than the context", "/v1/completions",
                        "{\"model\":\"stories260K\",\"prompt\":\"" + longPrompt + "\"}", 400, "context_length_exceeded", "prompt"),
                badField("prompt + max_tokens beyond the context", "max_tokens", "600", "context_length_exceeded"),
                badField("temperature < 0", "temperature", "-0.5", "invalid_value"),
                badField("temperature not a number", "temperature", "\"hot\"", "invalid_value"),
                badField("max_tokens 0", "max_tokens", "0", "invalid_value"),
                badField("max_tokens not an integer", "max_tokens", "2.5", "invalid_value"),
                badField("top_p 0", "top_p", "0", "invalid_value"),
                badField("n > 1", "n", "2", "unsupported_value"),
                badField("unknown method", "method", "\"beam\"", "invalid_value"),
                badField("five stop strings", "stop", "[\"a\",\"b\",\"c\",\"d\",\"e\"]", "invalid_value"),
                Arguments.of("token id outside the vocabulary", "/v1/completions",
                        "{\"model\":\"stories260K\",\"prompt\":[1, 9999]}", 400, "invalid_value", "prompt"),
                badField("logprobs", "logprobs", "5", "unsupported_value"),
                Arguments.of("no messages", "/v1/chat/completions", "{\"model\":\"stories260K\"}", 400, "missing_required_parameter", "messages"),
                Arguments.of("message without role", "/v1/chat/completions",
                        "{\"model\":\"stories260K\",\"messages\":[{\"content\":\"hi\"}]}", 400, "invalid_value", "messages[0].role"));
    }

    /** A completion of "hi" on stories260K with one bad {@code field} ({@code json} its value): a 400 naming that field. */
    static Arguments badField(String label, String field, String json, String code) {
        return Arguments.of(label, "/v1/completions", "{\"model\":\"stories260K\",\"prompt\":\"hi\",\"" + field + "\":" + json + "}",
                400, code, field);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badRequests")
    void badRequestsGetTheDocumentedCodeAndBody(String label, String path, String body, int status, String code, String param)
            throws Exception {
        ServerFixture.Reply r = fx.post(path, body);
        assertError(r, status, code, param);
    }

    static void assertError(ServerFixture.Reply r, int status, String code, String param) {
        assertEquals(status, r.status(), r.raw());
        assertTrue(r.response().headers().firstValue("Content-Type").orElse("").startsWith("application/json"));
        JsonNode err = r.json().get("error");
        assertNotNull(err, r.raw());
        assertEquals(code, err.get("code").asText(), r.raw());
        if (param == null) {
            assertTrue(err.get("param").isNull(), r.raw());
        } else {
            assertEquals(param, err.get("param").asText(), r.raw());
        }
        assertFalse(err.get("message").asText().isBlank());
        assertTrue(err.has("type"));
        assertFalse(r.raw().contains("\tat ") || r.raw().contains("Exception"), "no stack trace: " + r.raw());
    }

    @Test
    void oversizeBodyIs413() throws Exception {
        String big = "{\"model\":\"stories260K\",\"prompt\":\"" + "x".repeat(70 * 1024) + "\"}";
        assertError(fx.post("/v1/completions", big), 413, "request_too_large", null);
    }

    @Test
    void unknownRouteIs404AndWrongVerbIs405() throws Exception {
        assertError(fx.get("/v1/embeddings"), 404, "not_found", null);
        assertError(fx.get("/v1/completions"), 405, "method_not_allowed", null);
        assertError(fx.get("/v1/models/gpt-4"), 404, "model_not_found", "model");
    }

    @Test
    void fullSlotsAndQueueGet429ThenA503AfterTheQueueTimeout() throws Exception {
        Admission admission = fx.server.admission();
        List<Admission.Slot> held = new ArrayList<>();
        try {
            for (int i = 0; i < 4; i++) {
                held.add(admission.acquire());
            }
            String body = "{\"model\":\"stories260K\",\"prompt\":\"hi\",\"max_tokens\":5}";
            // one request may wait (queue of 1): it times out with 503; meanwhile a second one finds the queue full: 429
            var waiting = fx.http.sendAsync(HttpRequest.newBuilder(fx.base().resolve("/v1/completions"))
                    .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
            long until = System.nanoTime() + 5_000_000_000L;
            while (admission.queued() == 0 && System.nanoTime() < until) {
                Thread.sleep(5);
            }
            ServerFixture.Reply full = fx.post("/v1/completions", body);
            assertError(full, 429, "queue_full", null);
            assertEquals("1", full.response().headers().firstValue("Retry-After").orElse(""));
            HttpResponse<String> timedOut = waiting.get();
            assertEquals(503, timedOut.statusCode(), timedOut.body());
            assertEquals("queue_timeout", ServerFixture.JSON.readTree(timedOut.body()).get("error").get("code").asText());
        } finally {
            held.forEach(Admission.Slot::close);
        }
        assertEquals(200, fx.post("/v1/completions", "{\"model\":\"stories260K\",\"prompt\":\"hi\",\"max_tokens\":5}").status());
        String metrics = fx.get("/metrics").raw();
        assertEquals(1, ServerFixture.metric(metrics, "tandem_requests_rejected_total", "reason=queue_full"));
        assertEquals(1, ServerFixture.metric(metrics, "tandem_requests_rejected_total", "reason=queue_timeout"));
    }

    @Test
    void aClientThatDisconnectsMidStreamFreesItsSlot() throws Exception {
        long before = fx.server.clientDisconnects();
        String body = "{\"model\":\"stories260K\",\"prompt\":\"Once\",\"max_tokens\":500,\"temperature\":0.8,\"seed\":1,"
                + "\"stream\":true,\"method\":\"draft\"}";
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        try (Socket s = new Socket("127.0.0.1", fx.server.port())) {
            OutputStream out = s.getOutputStream();
            out.write(("POST /v1/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: "
                    + bytes.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.write(bytes);
            out.flush();
            BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8));
            int data = 0;
            String line;
            while (data < 2 && (line = in.readLine()) != null) {
                if (line.startsWith("data: ")) {
                    data++;
                }
            }
            assertEquals(2, data);
            s.setSoLinger(true, 0); // reset the connection, as a killed client would
        }
        long until = System.nanoTime() + 10_000_000_000L;
        while ((fx.server.clientDisconnects() == before || fx.server.activeRequests() > 0) && System.nanoTime() < until) {
            Thread.sleep(10);
        }
        assertEquals(before + 1, fx.server.clientDisconnects(), "the server noticed the client leaving");
        assertEquals(0, fx.server.activeRequests(), "its slot is free again");
        long generated = fx.engine.totals().get("draft").tokens(); // only this test decodes with draft
        assertTrue(generated < 500, "the generation stopped early, after " + generated + " of 500 tokens");
        String metrics = fx.get("/metrics").raw();
        assertEquals(before + 1, ServerFixture.metric(metrics, "tandem_client_disconnects_total"));
    }

    @Test
    void healthAndMetricsReport() throws Exception {
        fx.post("/v1/completions", "{\"model\":\"stories260K\",\"prompt\":\"hi\",\"max_tokens\":8,\"method\":\"lookup\"}");
        ServerFixture.Reply h = fx.get("/health");
        assertEquals(200, h.status());
        assertEquals("ok", h.json().get("status").asText());
        assertEquals("stories260K", h.json().get("model").asText());
        ServerFixture.Reply m = fx.get("/metrics");
        assertEquals(200, m.status());
        assertTrue(m.response().headers().firstValue("Content-Type").orElse("").startsWith("text/plain; version=0.0.4"));
        String raw = m.raw();
        assertTrue(ServerFixture.metric(raw, "tandem_requests_total", "endpoint=/v1/completions", "code=200") >= 1);
        assertTrue(ServerFixture.metric(raw, "tandem_mean_accepted_length", "method=lookup") >= 1);
        assertTrue(ServerFixture.metric(raw, "tandem_generated_tokens_total", "method=lookup") >= 1);
        assertEquals(0, ServerFixture.metric(raw, "tandem_queue_length"));
        assertTrue(ServerFixture.metric(raw, "tandem_tokens_per_second") >= 0);
        assertTrue(ServerFixture.metric(raw, "tandem_batched_passes_total") >= 0);
        for (String line : raw.split("\n")) { // every sample line is "series value", a number the scraper can read
            if (!line.startsWith("#")) {
                assertTrue(line.matches("tandem_[a-z_]+(\\{[a-z]+=\"[^\"]*\"(,[a-z]+=\"[^\"]*\")*})? -?[0-9.eE+-]+"), line);
            }
        }
    }

    @Test
    void apiKeyIsRequiredOnV1WhenSet() throws Exception {
        try (ServerFixture keyed = new ServerFixture(ServerConfig.defaults().withApiKey("sk-secret"))) {
            assertError(keyed.get("/v1/models"), 401, "invalid_api_key", null);
            assertError(keyed.get("/v1/models", "Authorization", "Bearer sk-wrong"), 401, "invalid_api_key", null);
            assertEquals(200, keyed.get("/v1/models", "Authorization", "Bearer sk-secret").status());
            assertEquals(200, keyed.get("/health").status());
        }
    }

    @Test
    void bindsLoopbackByDefault() {
        assertEquals("127.0.0.1", ServerConfig.defaults().host());
        assertEquals("127.0.0.1", fx.server.host());
    }

}
