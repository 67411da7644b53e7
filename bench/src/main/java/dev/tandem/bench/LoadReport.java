package dev.tandem.bench;

import java.awt.Color;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** Writes the load test as NAME.md / NAME.csv, the one-client breakdown (NAME-one-client.*), and NAME.png. */
final class LoadReport {
    private LoadReport() {}

    static void write(Path dir, String name, String model, List<LoadBench.Row> rows, List<String[]> breakdown, int maxTokens,
                      int threads, String method, int rounds) {
        List<List<String>> table = new ArrayList<>();
        for (LoadBench.Row r : rows) {
            table.add(List.of(r.batching(), Integer.toString(r.clients()), Integer.toString(r.outcomes().size()),
                    Long.toString(r.completed()), Long.toString(r.outcomes().size() - r.completed()),
                    String.format(Locale.ROOT, "%.0f", r.tokensPerSecond()),
                    String.format(Locale.ROOT, "%.2f", r.tokensPerSecond() / LoadBench.oneClient(rows, r)),
                    String.format(Locale.ROOT, "%.3f", r.latency(0.5)), String.format(Locale.ROOT, "%.3f", r.latency(0.99)),
                    String.format(Locale.ROOT, "%.4f", r.firstToken(0.5)), String.format(Locale.ROOT, "%.2f", r.sequencesPerPass())));
        }
        Tables.write(dir, name, String.format(Locale.ROOT, "%s: streaming completions of %d tokens (temperature 0, method %s), "
                        + "%d engine threads, clients in the same JVM over loopback; tokens/s: median of %d rounds.", model, maxTokens, method,
                        threads, rounds),
                List.of("batching", "clients", "requests", "completed", "failed", "tokens/s", "vs 1 client", "p50 latency s",
                        "p99 latency s", "p50 first token s", "sequences / pass"), table);
        if (!breakdown.isEmpty()) {
            Tables.write(dir, name + "-one-client", "One client, where the time goes (medians of 20 requests).",
                    List.of("path", "tokens/s", "vs engine", "µs per token"), breakdown.stream().map(List::of).toList());
        }
        List<String> labels = rows.stream().map(r -> "batching " + r.batching() + ", " + r.clients() + " client" + (r.clients() > 1 ? "s" : "")).toList();
        BarChart.write(dir.resolve(name + ".png"), model + " served under load: aggregate tokens/s and p99 latency", labels, List.of(
                new BarChart.Series("tokens/s (all clients)", rows.stream().mapToDouble(LoadBench.Row::tokensPerSecond).toArray(),
                        new Color(0x3b75af), 0),
                new BarChart.Series("p99 latency (s)", rows.stream().mapToDouble(r -> r.latency(0.99)).toArray(),
                        new Color(0xef8636), 0)));
    }
}
