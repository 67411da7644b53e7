package dev.tandem.bench;

import java.awt.Color;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The method table of one temperature as files: methods-tT.md / .csv, methods-tT.png (tokens/s, mean accepted
 * length, verification rows per step and the cost of a step per method) and accepted-tT.png (for each drafting method, the share of verification
 * steps that accepted 0, 1, 2... draft tokens).
 */
final class MethodReport {
    private MethodReport() {}

    static void write(Path dir, String model, float temperature, int threads, int tokens, int rounds,
                      List<MethodTable.Config> configs, Map<MethodTable.Config, MethodTable.Totals> totals, double arTps) {
        String t = String.format(Locale.ROOT, "t%.1f", temperature);
        List<List<String>> rows = new ArrayList<>();
        MethodTable.Totals ar = totals.get(configs.get(0));
        for (MethodTable.Config c : configs) {
            MethodTable.Totals x = totals.get(c);
            double tps = MethodTable.median(x.tps);
            rows.add(List.of(c.label(), String.format(Locale.ROOT, "%.2f", (double) x.tokens / x.steps),
                    String.format(Locale.ROOT, "%.2f", x.rowsPerStep()),
                    String.format(Locale.ROOT, "%.2f", x.stepCost(ar)),
                    String.format(Locale.ROOT, "%.3f", (double) x.targetForwards / x.tokens),
                    String.format(Locale.ROOT, "%.3f", (double) x.draftForwards / x.tokens),
                    String.format(Locale.ROOT, "%.0f", tps), String.format(Locale.ROOT, "%.2f", tps / arTps)));
        }
        String caption = String.format(Locale.ROOT, "%s, temperature %.1f, %d thread(s): %d prompts x %d new tokens, medians of %d rounds "
                + "(methods interleaved). Machine: %s.", model, temperature, threads, MethodTable.PROMPTS.size(), tokens, rounds,
                MachineInfo.describe());
        Tables.write(dir, "methods-" + t, caption, List.of("method", "mean accepted length", "rows / step", "step cost (ar steps)", "target forwards / token",
                "draft forwards / token", "tokens/s", "speedup vs ar"), rows);

        List<String> labels = configs.stream().map(MethodTable.Config::label).toList();
        BarChart.write(dir.resolve("methods-" + t + ".png"), String.format(Locale.ROOT,
                "%s, temperature %.1f, %d thread(s): tokens/s, accepted length, rows and cost of a step per method", model, temperature, threads), labels, List.of(
                new BarChart.Series("tokens/s", configs.stream().mapToDouble(c -> MethodTable.median(totals.get(c).tps)).toArray(),
                        new Color(0x3b75af), arTps),
                new BarChart.Series("mean accepted length (tokens / step)",
                        configs.stream().mapToDouble(c -> (double) totals.get(c).tokens / totals.get(c).steps).toArray(),
                        new Color(0xef8636), 1.0),
                new BarChart.Series("verification rows / step", configs.stream().mapToDouble(c -> totals.get(c).rowsPerStep()).toArray(),
                        new Color(0x55a868), 1.0),
                new BarChart.Series("cost of a step (ar steps)", configs.stream()
                        .mapToDouble(c -> totals.get(c).stepCost(ar)).toArray(), new Color(0x8c6bb1), 1.0)));

        List<LineChart.Series> hist = new ArrayList<>();
        List<List<String>> histRows = new ArrayList<>();
        for (MethodTable.Config c : configs) {
            long[] h = totals.get(c).acceptedHistogram;
            long steps = 0;
            int last = 0;
            for (int a = 0; a < h.length; a++) {
                steps += h[a];
                if (h[a] > 0) {
                    last = a;
                }
            }
            if (steps == 0) {
                continue; // ar: no drafts
            }
            double[] x = new double[last + 1];
            double[] y = new double[last + 1];
            List<String> row = new ArrayList<>();
            row.add(c.label());
            for (int a = 0; a <= last; a++) {
                x[a] = a;
                y[a] = (double) h[a] / steps;
            }
            for (int a = 0; a <= 8; a++) {
                row.add(a < h.length ? String.format(Locale.ROOT, "%.3f", (double) h[a] / steps) : "0.000");
            }
            hist.add(new LineChart.Series(c.label(), x, y));
            histRows.add(row);
        }
        if (!hist.isEmpty()) {
            LineChart.write(dir.resolve("accepted-" + t + ".png"), String.format(Locale.ROOT,
                    "%s, temperature %.1f: draft tokens accepted per verification step", model, temperature),
                    "draft tokens accepted in a step", "share of steps", hist, 0);
            List<String> header = new ArrayList<>(List.of("method"));
            for (int a = 0; a <= 8; a++) {
                header.add("accepted " + a);
            }
            Tables.write(dir, "accepted-" + t, "Share of verification steps that accepted a draft tokens (a = 0..8).", header, histRows);
        }
    }
}
