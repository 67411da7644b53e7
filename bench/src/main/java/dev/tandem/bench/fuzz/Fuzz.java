package dev.tandem.bench.fuzz;

import dev.tandem.api.Engine;
import dev.tandem.core.cpu.CpuBackend;
import dev.tandem.server.ServerConfig;
import dev.tandem.server.TandemServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The fuzz harness: mutated GGUF, llama2.c, heads and tokenizer files, and malformed HTTP requests against
 * a live server, all seeded. {@code ./tandem test} runs a few hundred cases; {@code ./tandem bench fuzz}
 * runs thousands and prints the table for docs/.
 */
@Command(name = "fuzz", mixinStandardHelpOptions = true,
        description = "Mutated model, heads and tokenizer files and malformed HTTP requests: each must run or be refused in one clean line.")
public final class Fuzz implements Callable<Integer> {
    @Option(names = "--cases", paramLabel = "N", description = "Mutants per file kind (default: ${DEFAULT-VALUE}).")
    int cases = 2000;

    @Option(names = "--http-cases", paramLabel = "N", description = "Malformed HTTP requests (default: ${DEFAULT-VALUE}).")
    int http = 1000;

    @Option(names = "--seed", paramLabel = "S", description = "Seed of the mutations (default: ${DEFAULT-VALUE}).")
    long seed = 1;

    /** Runs {@code fileCases} mutants of each file kind and {@code httpCases} requests; scratch files go to {@code dir}. */
    public static List<FuzzRun> run(Path shared, Path dir, int fileCases, int httpCases, long seed) {
        List<FuzzRun> runs = new ArrayList<>();
        try (CpuBackend backend = new CpuBackend(1)) {
            for (FileFuzz.Target t : FileFuzz.targets(shared, dir, backend)) {
                FuzzRun run = new FuzzRun(t.kind());
                Mutator mutator = new Mutator(seed ^ t.kind().hashCode(), t.headerBytes());
                Path file = dir.resolve(t.fileName());
                for (int i = 0; i < fileCases; i++) {
                    Mutator.Mutant m = mutator.next(t.valid());
                    write(file, m.bytes());
                    run.run(m.how(), t.fileName(), () -> t.use().run(file));
                }
                run.close();
                runs.add(run);
            }
        }
        if (httpCases > 0) {
            runs.add(http(shared, httpCases, seed));
        }
        return runs;
    }

    private static FuzzRun http(Path shared, int cases, long seed) {
        FuzzRun run = new FuzzRun("http");
        ServerConfig config = ServerConfig.defaults().withPort(0).withTimeouts(Duration.ofSeconds(1), Duration.ofSeconds(2));
        try (Engine engine = Engine.builder(shared.resolve("models/stories260k/stories260K.bin")).threads(1).build();
             TandemServer server = TandemServer.start(engine, config)) {
            HttpFuzz fuzz = new HttpFuzz(seed, server.port());
            for (int i = 0; i < cases; i++) {
                HttpFuzz.Request r = fuzz.next();
                run.run(r.how(), null, () -> fuzz.send(r));
                if (i % 50 == 49 || i == cases - 1) {
                    HttpFuzz.Request health = new HttpFuzz.Request("GET /health after " + (i + 1) + " cases",
                            "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
                    if (run.run(health.how(), null, () -> fuzz.send(health)) != Outcome.RAN) {
                        break;
                    }
                }
            }
        }
        run.close();
        return run;
    }

    private static void write(Path file, byte[] bytes) {
        try {
            Files.write(file, bytes);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The outcome table as Markdown. */
    public static String table(List<FuzzRun> runs) {
        StringBuilder sb = new StringBuilder("| kind | cases | ran | refused cleanly | failed | slowest case s |\n|---|---:|---:|---:|---:|---:|\n");
        for (FuzzRun r : runs) {
            sb.append(String.format(Locale.ROOT, "| %s | %d | %d | %d | %d | %.2f |%n", r.kind(), r.total(), r.count(Outcome.RAN),
                    r.count(Outcome.REFUSED), r.count(Outcome.FAILED), r.slowestSeconds()));
        }
        return sb.toString();
    }

    /** Exit code 1 when a case failed. */
    @Override
    public Integer call() throws Exception {
        Path shared = dev.tandem.bench.BenchPaths.defaultModel().getParent().getParent().getParent();
        Path dir = Files.createTempDirectory("tandem-fuzz");
        long t0 = System.nanoTime();
        List<FuzzRun> runs = run(shared, dir, cases, http, seed);
        System.out.printf(Locale.ROOT, "Fuzz, seed %d, %d mutants per file kind, %d HTTP requests, %.0f s%n", seed, cases, http,
                (System.nanoTime() - t0) / 1e9);
        System.out.print(table(runs));
        for (FuzzRun r : runs) {
            r.failures().forEach(f -> System.out.println("FAILED " + r.kind() + ": " + f));
        }
        LongPromptCheck.Result lp = LongPromptCheck.measure(shared, 10);
        System.out.printf(Locale.ROOT, "1 MiB prompts refused with context_length_exceeded: %.1f ms median one at a time, %.1f ms median "
                + "(%.1f ms at most) three at once; meanwhile %d /health requests: %.1f ms median, %.1f ms p99, %.1f ms at most%n",
                lp.aloneMedianMillis(), lp.threeMedianMillis(), lp.threeMaxMillis(), lp.healthChecks(), lp.healthMedianMillis(),
                lp.healthP99Millis(), lp.healthMaxMillis());
        return runs.stream().anyMatch(r -> r.count(Outcome.FAILED) > 0) ? 1 : 0;
    }
}
