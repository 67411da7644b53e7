package dev.tandem.bench;

import java.awt.Color;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** Writes the load test as load.md / load.csv, the one-client breakdown, and load.png. */
final class LoadReport {
    private LoadReport() {}

    static void write(Path dir, List<LoadBench.Row> rows, List<String[]> breakdown, int maxTokens, int threads, String method) {
        List<List<String>> table = new ArrayList<>();
        for (LoadBench.Row r : rows) {
            double one = rows.stream().filter(x -> x.batching().equals(r.batching()) && x.clients() == 1)
                    .mapToDouble(x -> x.report().tokensPerSecond()).findFirst().orElse(Double.NaN);
            var rep = r.report();
            table.add(List.of(r.batching(), Integer.toString(r.clients()), Integer.toString(rep.outcomes().size()),
                    Long.toString(rep.completed()), Long.toString(rep.failed()), String.format(Locale.ROOT, "%.0f", rep.tokensPerSecond()),
                    String.format(Locale.ROOT, "%.2f", rep.tokensPerSecond() / one), String.format(Locale.ROOT, "%.3f", rep.latency(0.5)),
                    String.format(Locale.ROOT, "%.3f", rep.latency(0.99)), String.format(Locale.ROOT, "%.4f", rep.firstToken(0.5)),
                    String.format(Locale.ROOT, "%.2f", r.sequencesPerPass())));
        }
        Tables.write(dir, "load", String.format(Locale.ROOT, "Streaming completions of %d tokens (temperature 0, method %s), "
                        + "%d engine threads, clients in the same JVM over loopback.", maxTokens, method, threads),
                List.of("batching", "clients", "requests", "completed", "failed", "tokens/s", "vs 1 client", "p50 latency s",
                        "p99 latency s", "p50 first token s", "sequences / pass"), table);
        if (!breakdown.isEmpty()) {
            Tables.write(dir, "load-one-client", "One client, where the time goes (medians of 20 requests).",
                    List.of("path", "tokens/s", "vs engine", "µs per token"), breakdown.stream().map(List::of).toList());
        }
        List<String> labels = rows.stream().map(r -> "batching " + r.batching() + ", " + r.clients() + " client" + (r.clients() > 1 ? "s" : "")).toList();
        BarChart.write(dir.resolve("load.png"), "Server under load: aggregate tokens/s and p99 latency", labels, List.of(
                new BarChart.Series("tokens/s (all clients)", rows.stream().mapToDouble(r -> r.report().tokensPerSecond()).toArray(),
                        new Color(0x3b75af), 0),
                new BarChart.Series("p99 latency (s)", rows.stream().mapToDouble(r -> r.report().latency(0.99)).toArray(),
                        new Color(0xef8636), 0)));
    }
}
