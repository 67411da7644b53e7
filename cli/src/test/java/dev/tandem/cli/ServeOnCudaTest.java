package dev.tandem.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** {@code tandem serve --device cuda-emulated}: the server on the CUDA backend (kernels emulated) answers as generate does. */
class ServeOnCudaTest {
    @Test
    void theServerRunsOnTheCudaBackend() throws Exception {
        assumeTrue(dev.tandem.cuda.EmulatedDevice.unavailableReason() == null,
                () -> "no CUDA emulation: " + dev.tandem.cuda.EmulatedDevice.unavailableReason());
        CliTest.Run expected = CliTest.run("generate", "Once upon a time", "--model", CliTest.MODEL.toString(), "--max-new-tokens", "12",
                "--json");
        assertEquals(0, expected.code(), expected.err());
        String text = new ObjectMapper().readTree(expected.out()).get("text").asText();
        try (ServeProcess server = ServeProcess.start("--device", "cuda-emulated", "--method", "lookup")) {
            HttpClient http = HttpClient.newHttpClient();
            String body = "{\"model\":\"stories260K\",\"prompt\":\"Once upon a time\",\"max_tokens\":12,\"temperature\":0}";
            for (int i = 0; i < 2; i++) { // the second through the graphs the first one made
                HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/v1/completions"))
                        .timeout(Duration.ofSeconds(120)).header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
                assertEquals(200, r.statusCode(), r.body());
                JsonNode j = new ObjectMapper().readTree(r.body());
                assertEquals(text, j.get("choices").get(0).get("text").asText(), "the CPU backend's greedy text");
                assertEquals("lookup", j.get("tandem").get("method").asText());
            }
            server.terminate();
            assertTrue(server.process().waitFor(20, TimeUnit.SECONDS), "stopped on SIGTERM");
            assertEquals(0, server.process().exitValue(), server.drain());
        }
    }
}
