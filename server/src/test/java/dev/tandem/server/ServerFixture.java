package dev.tandem.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tandem.api.Engine;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;

/** One engine on stories260K and a server on a free loopback port, plus small HTTP helpers. */
final class ServerFixture implements AutoCloseable {
    static final Path MODEL = Path.of(System.getProperty("tandem.shared", "../shared")).toAbsolutePath().normalize()
            .resolve("models/stories260k/stories260K.bin");
    static final ObjectMapper JSON = new ObjectMapper();

    final Engine engine;
    final TandemServer server;
    final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();

    ServerFixture(ServerConfig config) {
        this(config, 2);
    }

    /** Batching on (stories260K alone would default to off), with that many batch lanes. */
    ServerFixture(ServerConfig config, int lanes) {
        this.engine = Engine.builder(MODEL).threads(2).batching(true).batchLanes(lanes).build();
        this.server = TandemServer.start(engine, config.withPort(0));
    }

    ServerFixture() {
        this(ServerConfig.defaults());
    }

    URI base() {
        return URI.create("http://127.0.0.1:" + server.port());
    }

    record Reply(int status, JsonNode json, String raw, HttpResponse<String> response) {}

    Reply post(String path, String body, String... headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(base().resolve(path)).timeout(Duration.ofSeconds(30))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body));
        for (int i = 0; i < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        return reply(http.send(b.build(), HttpResponse.BodyHandlers.ofString()));
    }

    Reply get(String path, String... headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(base().resolve(path)).timeout(Duration.ofSeconds(30)).GET();
        for (int i = 0; i < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        return reply(http.send(b.build(), HttpResponse.BodyHandlers.ofString()));
    }

    private static Reply reply(HttpResponse<String> r) {
        JsonNode json = null;
        try {
            json = JSON.readTree(r.body());
        } catch (Exception notJson) {
            // metrics and event streams are not JSON
        }
        return new Reply(r.statusCode(), json, r.body(), r);
    }

    @Override
    public void close() {
        server.close();
        engine.close();
        http.close();
    }

    /**
     * The value of one series in a Prometheus text exposition: the sample named {@code name} whose labels include
     * every {@code key=value} pair given (in any order); fails, showing the exposition, when there is none.
     */
    static double metric(String exposition, String name, String... labels) {
        for (String line : exposition.split("\n")) {
            if (line.startsWith("#") || line.isBlank()) {
                continue;
            }
            int space = line.lastIndexOf(' ');
            String series = line.substring(0, space);
            int brace = series.indexOf('{');
            if (!(brace < 0 ? series : series.substring(0, brace)).equals(name)) {
                continue;
            }
            boolean all = true;
            for (String kv : labels) {
                int eq = kv.indexOf('=');
                all &= brace >= 0 && series.contains(kv.substring(0, eq) + "=\"" + kv.substring(eq + 1) + "\"");
            }
            if (all) {
                return Double.parseDouble(line.substring(space + 1));
            }
        }
        throw new AssertionError("no series " + name + " " + java.util.Arrays.toString(labels) + " in\n" + exposition);
    }
}
