package dev.tandem.bench;

import java.awt.Color;
import java.nio.file.Path;
import java.util.List;

/** Writes the load test as NAME.md / NAME.csv, the one-client breakdown (NAME-one-client.*), and NAME.png. */
final class LoadReport {
    private LoadReport() {}

    static void write(Path dir, String name, String model, List<LoadBench.Row> rows, List<String[]> breakdown, int maxTokens,
                      int threads, String method, int rounds) {
        Tables.write(dir, name, LoadBench.caption(model, maxTokens, threads, method, rounds) + ".", LoadBench.HEADER, LoadBench.cells(rows));
        if (!breakdown.isEmpty()) {
            Tables.write(dir, name + "-one-client", "One client, where the time goes (medians of 20 requests).",
                    List.of("path", "tokens/s", "vs engine", "µs per token"), breakdown.stream().map(List::of).toList());
        }
        List<String> labels = rows.stream().map(r -> "batching " + r.batching() + ", " + r.method() + ", " + r.clients() + " client"
                + (r.clients() > 1 ? "s" : "")).toList();
        BarChart.write(dir.resolve(name + ".png"), model + " served under load: aggregate tokens/s and p99 latency", labels, List.of(
                new BarChart.Series("tokens/s (all clients)", rows.stream().mapToDouble(LoadBench.Row::tokensPerSecond).toArray(),
                        new Color(0x3b75af), 0),
                new BarChart.Series("p99 latency (s)", rows.stream().mapToDouble(r -> r.latency(0.99)).toArray(),
                        new Color(0xef8636), 0)));
    }
}
