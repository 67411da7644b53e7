package dev.tandem.bench;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** The verification cost curve as verify-cost.md / .csv / .png: cost of a k-row forward over one row, per thread count. */
final class VerifyCostReport {
    private VerifyCostReport() {}

    static void write(Path dir, String model, int context, int[] ks, int[] threads, List<double[]> medians) {
        List<String> header = new ArrayList<>(List.of("rows k"));
        for (int t : threads) {
            header.add("µs, " + t + " thread" + (t > 1 ? "s" : ""));
            header.add("cost / 1 row, " + t + " thread" + (t > 1 ? "s" : ""));
        }
        List<List<String>> rows = new ArrayList<>();
        for (int i = 0; i < ks.length; i++) {
            List<String> r = new ArrayList<>(List.of(Integer.toString(ks[i])));
            for (double[] m : medians) {
                r.add(String.format(Locale.ROOT, "%.1f", m[i] / 1e3));
                r.add(String.format(Locale.ROOT, "%.2f", m[i] / m[0]));
            }
            rows.add(r);
        }
        Tables.write(dir, "verify-cost", String.format(Locale.ROOT, "%s: one forward pass over k new tokens on a %d-token context, "
                + "over the time of one token (medians).", model, context), header, rows);
        List<LineChart.Series> series = new ArrayList<>();
        for (int s = 0; s < threads.length; s++) {
            double[] x = new double[ks.length];
            double[] y = new double[ks.length];
            for (int i = 0; i < ks.length; i++) {
                x[i] = ks[i];
                y[i] = medians.get(s)[i] / medians.get(s)[0];
            }
            series.add(new LineChart.Series(threads[s] + " thread" + (threads[s] > 1 ? "s" : ""), x, y));
        }
        LineChart.write(dir.resolve("verify-cost.png"), model + ": verification cost of k rows / 1 row (dashed: k x one row)",
                "rows k in one forward pass", "cost / 1 row", series, 1.0);
    }
}
