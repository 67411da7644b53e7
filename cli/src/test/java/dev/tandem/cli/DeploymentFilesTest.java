package dev.tandem.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.tandem.api.Engine;
import dev.tandem.server.ServerConfig;
import dev.tandem.server.TandemServer;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * The deployment files in deploy/ against the code they deploy, so they cannot rot: the Grafana dashboard
 * queries only metrics the server exports, the manifests and the image agree on port, user and probes, the
 * server arguments they pass parse, and the manifests pass the Kubernetes API schema (where the fixture
 * deploy/fixtures/k8s-schema.sh has installed the validator), and, where a container engine runs, the image
 * builds and serves (deploy/fixtures/image-check.sh: CI's machines have none, so there it skips and says so).
 */
class DeploymentFilesTest {
    static final Path DEPLOY = Path.of(System.getProperty("tandem.home", "..")).resolve("deploy");
    static final Path MANIFESTS = DEPLOY.resolve("k8s/tandem.yaml");

    static List<JsonNode> manifests() throws IOException {
        List<JsonNode> docs = new ArrayList<>();
        var parser = new YAMLFactory().createParser(MANIFESTS.toFile());
        YAMLMapper yaml = new YAMLMapper();
        for (var it = yaml.readValues(parser, JsonNode.class); it.hasNext(); ) {
            docs.add(it.next());
        }
        return docs;
    }

    static JsonNode kind(List<JsonNode> docs, String kind) {
        return docs.stream().filter(d -> d.path("kind").asText().equals(kind)).findFirst()
                .orElseThrow(() -> new AssertionError("no " + kind + " in " + MANIFESTS));
    }

    static String dockerfile() throws IOException {
        return Files.readString(DEPLOY.resolve("Dockerfile"));
    }

    @Test
    void grafanaDashboardQueriesOnlyMetricsTheServerExports() throws Exception {
        Set<String> exported = new TreeSet<>();
        try (Engine engine = Engine.builder(CliTest.MODEL).threads(1).build();
             TandemServer server = TandemServer.start(engine, ServerConfig.defaults().withPort(0))) {
            HttpClient http = HttpClient.newHttpClient();
            String base = "http://127.0.0.1:" + server.port();
            HttpResponse<String> done = http.send(HttpRequest.newBuilder(URI.create(base + "/v1/completions"))
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"stories260K\",\"prompt\":\"Once\",\"max_tokens\":2}")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, done.statusCode(), done.body()); // per-method metrics appear once a generation finished
            String text = http.send(HttpRequest.newBuilder(URI.create(base + "/metrics")).build(), HttpResponse.BodyHandlers.ofString()).body();
            for (String line : text.split("\n")) {
                if (!line.isBlank() && !line.startsWith("#")) {
                    exported.add(line.split("[{ ]")[0]);
                }
            }
        }
        JsonNode dashboard = new ObjectMapper().readTree(DEPLOY.resolve("grafana/tandem-dashboard.json").toFile());
        Pattern metric = Pattern.compile("tandem_[a-z_]+");
        int queried = 0;
        for (JsonNode panel : dashboard.get("panels")) {
            for (JsonNode target : panel.get("targets")) {
                Matcher m = metric.matcher(target.get("expr").asText());
                while (m.find()) {
                    queried++;
                    assertTrue(exported.contains(m.group()), "panel '" + panel.get("title").asText() + "' queries " + m.group()
                            + ", which the server does not export (it exports " + exported + ")");
                }
            }
        }
        assertTrue(queried >= 10, "the dashboard queries the server's metrics: " + queried);
    }

    @Test
    void manifestsAndImageAgreeOnPortUserProbesAndArguments() throws IOException {
        List<JsonNode> docs = manifests();
        JsonNode pod = kind(docs, "Deployment").at("/spec/template/spec");
        JsonNode container = pod.at("/containers/0");
        String docker = dockerfile();

        int port = container.at("/ports/0/containerPort").asInt();
        assertTrue(docker.contains("EXPOSE " + port) && docker.contains("\"--port\", \"" + port + "\""), "the image serves on " + port);
        for (String probe : new String[] {"readinessProbe", "livenessProbe"}) {
            assertEquals("/health", container.at("/" + probe + "/httpGet/path").asText(), probe);
            assertEquals(container.at("/ports/0/name").asText(), container.at("/" + probe + "/httpGet/port").asText(), probe + " port");
        }
        assertTrue(pod.at("/securityContext/runAsNonRoot").asBoolean(), "runs as non-root");
        int uid = pod.at("/securityContext/runAsUser").asInt();
        assertTrue(docker.contains("--uid " + uid) && docker.contains("USER " + uid), "the image's user is " + uid);
        assertFalse(container.at("/resources/requests/cpu").isMissingNode() || container.at("/resources/requests/memory").isMissingNode(),
                "resource requests");
        JsonNode service = kind(docs, "Service");
        assertEquals(container.at("/ports/0/name").asText(), service.at("/spec/ports/0/targetPort").asText(), "service targets the container port");
        JsonNode annotations = kind(docs, "Deployment").at("/spec/template/metadata/annotations");
        assertEquals(String.valueOf(port), annotations.path("prometheus.io/port").asText(), "Prometheus scrapes the server's port");
        assertEquals("/metrics", annotations.path("prometheus.io/path").asText(), "and its /metrics");

        // the image's fixed arguments followed by the manifest's must parse as `tandem serve` arguments
        List<String> args = new ArrayList<>();
        Matcher entry = Pattern.compile("\"serve\",(.*?)\\]", Pattern.DOTALL).matcher(docker);
        assertTrue(entry.find(), "the ENTRYPOINT runs serve");
        Matcher quoted = Pattern.compile("\"([^\"]+)\"").matcher(entry.group(1));
        while (quoted.find()) {
            args.add(quoted.group(1));
        }
        container.get("args").forEach(a -> args.add(a.asText()));
        new CommandLine(new ServeCommand()).parseArgs(args.toArray(String[]::new)); // throws on an unknown or malformed option
        assertTrue(Files.exists(DEPLOY.resolveSibling("pom.xml")), "the image builds from the repository root");
    }

    @Test
    void manifestsPassTheKubernetesApiSchema() throws Exception {
        Path validator = Path.of(System.getProperty("user.home"), ".cache/tandem/k8s-schema/k8s-validate.mjs");
        assumeTrue(Files.exists(validator), "Kubernetes schema validator not installed: run deploy/fixtures/k8s-schema.sh");
        Process p = new ProcessBuilder("node", validator.toString(), MANIFESTS.toAbsolutePath().toString())
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "validator finished");
        assertEquals(0, p.exitValue(), out);
        assertEquals(3, out.lines().filter(l -> l.startsWith("ok ")).count(), out);
    }

    /**
     * The image built from deploy/Dockerfile and run as users run it: /health, uid 10001, a greedy completion equal
     * to the one this JVM generates, SIGTERM to exit code 0. Minutes where the build runs; skipped where no engine is.
     */
    @Test
    @Timeout(value = 20, unit = TimeUnit.MINUTES)
    void imageBuildsAndServes(@TempDir Path tmp) throws Exception {
        assumeTrue(onPath("podman") || onPath("docker"),
                "no container engine (docker or podman) here: deploy/fixtures/image-check.sh --install sets up podman where apt-get can");
        String prompt = "Once upon a time";
        CliTest.Run local = CliTest.run("generate", prompt, "--model", CliTest.MODEL.toString(), "--max-new-tokens", "32", "--json");
        assertEquals(0, local.code(), local.err());
        Path expected = tmp.resolve("generate.json");
        Files.writeString(expected, local.out());
        ProcessBuilder pb = new ProcessBuilder("bash", DEPLOY.resolve("fixtures/image-check.sh").toString(),
                CliTest.MODEL.getParent().toString()).redirectErrorStream(true);
        pb.environment().put("EXPECTED_JSON", expected.toString());
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(1, TimeUnit.MINUTES), "image-check.sh ended");
        assumeTrue(p.exitValue() != 3, out.strip().lines().reduce((a, b) -> b).orElse("image-check.sh: exit 3"));
        assertEquals(0, p.exitValue(), out);
        assertTrue(out.contains("ok: a greedy completion in the container equals"), out);
        assertTrue(out.contains("every check passed"), out);
    }

    private static boolean onPath(String command) {
        return Stream.of(System.getenv().getOrDefault("PATH", "").split(":"))
                .anyMatch(d -> !d.isEmpty() && Files.isExecutable(Path.of(d, command)));
    }
}
