package dev.tandem.bench;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;

/**
 * The verdict of {@code bench compare}: runs are paired by round (BASE and HEAD ran back to back), each
 * pair gives a speed ratio HEAD/BASE (for times, BASE/HEAD, so above 1 is always faster), and the median
 * of the pairs is the figure. A figure is flagged slower when its median is below 0.95 and the noise does
 * not explain it: at least three quarters of the pairs (the upper quartile) are below 1. One noisy pair
 * cannot raise the flag, and a real 5% loss seen in most pairs cannot hide behind one lucky pair.
 */
final class CompareStats {
    static final double THRESHOLD = 0.95;

    private CompareStats() {}

    record Row(String name, double baseMedian, double headMedian, double ratio, double ratioMin, double ratioMax,
               double ratioQ1, double ratioQ3, int pairs, boolean higherIsBetter) {
        boolean slower() {
            return pairs > 0 && ratio < THRESHOLD && ratioQ3 < 1.0;
        }

        boolean faster() {
            return pairs > 0 && ratio > 1 / THRESHOLD && ratioQ1 > 1.0;
        }
    }

    static Row row(String name, List<Double> base, List<Double> head, boolean higherIsBetter) {
        int pairs = Math.min(base.size(), head.size());
        List<Double> ratios = new ArrayList<>();
        for (int i = 0; i < pairs; i++) {
            ratios.add(higherIsBetter ? head.get(i) / base.get(i) : base.get(i) / head.get(i));
        }
        Collections.sort(ratios);
        double nan = Double.NaN;
        return new Row(name, median(base), median(head), pairs == 0 ? nan : quantile(ratios, 0.5),
                pairs == 0 ? nan : ratios.get(0), pairs == 0 ? nan : ratios.get(pairs - 1),
                pairs == 0 ? nan : quantile(ratios, 0.25), pairs == 0 ? nan : quantile(ratios, 0.75), pairs, higherIsBetter);
    }

    /** Linear interpolation between order statistics of a sorted list. */
    static double quantile(List<Double> sorted, double q) {
        if (sorted.isEmpty()) {
            return Double.NaN;
        }
        double pos = q * (sorted.size() - 1);
        int lo = (int) Math.floor(pos);
        int hi = (int) Math.ceil(pos);
        return sorted.get(lo) + (sorted.get(hi) - sorted.get(lo)) * (pos - lo);
    }

    static double median(List<Double> values) {
        List<Double> s = new ArrayList<>(values);
        Collections.sort(s);
        return quantile(s, 0.5);
    }

    static String table(List<Row> rows) {
        StringBuilder sb = new StringBuilder();
        sb.append("| figure | BASE (median) | HEAD (median) | speed HEAD/BASE (median of pairs) | pairs min-max | pairs | verdict |\n");
        sb.append("|---|---:|---:|---:|---:|---:|---|\n");
        for (Row r : rows) {
            String verdict = r.pairs() == 0 ? "n/a (missing on one side)" : r.slower() ? "SLOWER" : r.faster() ? "faster" : "same within noise";
            sb.append(String.format(Locale.ROOT, "| %s%s | %s | %s | %.3f | %.3f-%.3f | %d | %s |%n", r.name(),
                    r.higherIsBetter() ? "" : " (lower is better)", fmt(r.baseMedian()), fmt(r.headMedian()), r.ratio(),
                    r.ratioMin(), r.ratioMax(), r.pairs(), verdict));
        }
        return sb.toString();
    }

    private static String fmt(double v) {
        if (Double.isNaN(v)) {
            return "-";
        }
        return Math.abs(v) >= 100 ? String.format(Locale.ROOT, "%.0f", v) : String.format(Locale.ROOT, "%.2f", v);
    }
}
