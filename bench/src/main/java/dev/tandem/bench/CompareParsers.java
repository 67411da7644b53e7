package dev.tandem.bench;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads figures out of the Markdown tables the bench harnesses print. They read the tables of older
 * commits too (the layout has not changed since `bench ar` was written), so a BASE from before a change
 * of harness is still measured by its own harness.
 */
final class CompareParsers {
    private CompareParsers() {}

    /** One figure; {@code higherIsBetter} false for times. */
    record Figure(double value, boolean higherIsBetter) {}

    @FunctionalInterface
    interface Parser {
        /** Figures by sub-name ("" for a benchmark's only figure), in output order; empty when none is found. */
        Map<String, Figure> parse(String output);
    }

    private static final Pattern ROW = Pattern.compile("^\\|([^\\n]*)\\|\\s*$", Pattern.MULTILINE);

    /** {@code bench ar}: the median tokens/s of the row for {@code threads}. */
    static Parser arTokensPerSecond(int threads) {
        return out -> {
            Map<String, Figure> m = new LinkedHashMap<>();
            for (String[] cells : rows(out)) {
                if (cells.length >= 2 && cells[0].equals(Integer.toString(threads)) && isNumber(cells[1])) {
                    m.put("", new Figure(Double.parseDouble(cells[1]), true));
                }
            }
            return m;
        };
    }

    /** {@code bench verify-cost}: µs per forward of the rows k given, and cost(k)/cost(1). */
    static Parser verifyCost(int... ks) {
        return out -> {
            Map<String, Figure> m = new LinkedHashMap<>();
            for (String[] cells : rows(out)) {
                for (int k : ks) {
                    if (cells.length >= 3 && cells[0].equals(Integer.toString(k)) && isNumber(cells[1]) && isNumber(cells[2])) {
                        m.put("k=" + k + " µs", new Figure(Double.parseDouble(cells[1]), false));
                        m.put("k=" + k + " cost/1 row", new Figure(Double.parseDouble(cells[2]), false));
                    }
                }
            }
            return m;
        };
    }

    /** {@code bench matmul}: GB/s per weight type. */
    static Parser matmulGbPerSecond() {
        return out -> {
            Map<String, Figure> m = new LinkedHashMap<>();
            for (String[] cells : rows(out)) {
                if (cells.length >= 3 && cells[0].matches("[A-Z0-9_]+") && isNumber(cells[2])) {
                    m.put(cells[0], new Figure(Double.parseDouble(cells[2]), true));
                }
            }
            return m;
        };
    }

    /** {@code bench methods}: tokens/s per method and temperature (the table's next-to-last column). */
    static Parser methodsTokensPerSecond() {
        return methodsColumn(2, true);
    }

    /**
     * {@code bench methods}' speedup over {@code ar} (its last column) per method and temperature, {@code ar}'s own row
     * left out, keyed by the method's name without its configuration in brackets (so "ngram (sized chains)" and
     * "ngram (sized trees)" compare) where that name is not taken by an earlier row.
     */
    static Parser methodsSpeedup() {
        Parser labelled = methodsColumn(1, false);
        return out -> {
            Map<String, Figure> m = new LinkedHashMap<>();
            labelled.parse(out).forEach((label, figure) -> {
                int bracket = label.indexOf(" (");
                String shortName = bracket < 0 ? label : label.substring(0, bracket) + label.substring(label.lastIndexOf(" T="));
                m.put(m.containsKey(shortName) ? label : shortName, figure);
            });
            return m;
        };
    }

    /** The {@code fromEnd}-th column from the end of each method row of {@code bench methods}, keyed "method T=t". */
    private static Parser methodsColumn(int fromEnd, boolean withAr) {
        return out -> {
            Map<String, Figure> m = new LinkedHashMap<>();
            String temperature = "";
            for (String line : out.split("\n")) {
                if (line.startsWith("temperature ")) {
                    temperature = "T=" + line.substring("temperature ".length()).strip();
                    continue;
                }
                Matcher r = ROW.matcher(line);
                if (!r.matches()) {
                    continue;
                }
                String[] cells = cells(r.group(1));
                if (cells.length >= 7 && isNumber(cells[cells.length - fromEnd]) && !cells[0].startsWith("-")
                        && (withAr || !cells[0].equals("ar"))) {
                    m.put(cells[0] + " " + temperature, new Figure(Double.parseDouble(cells[cells.length - fromEnd]), true));
                }
            }
            return m;
        };
    }

    private static java.util.List<String[]> rows(String out) {
        java.util.List<String[]> list = new java.util.ArrayList<>();
        Matcher r = ROW.matcher(out);
        while (r.find()) {
            list.add(cells(r.group(1)));
        }
        return list;
    }

    private static String[] cells(String inner) {
        String[] c = inner.split("\\|", -1);
        for (int i = 0; i < c.length; i++) {
            c[i] = c[i].strip();
        }
        return c;
    }

    private static boolean isNumber(String s) {
        try {
            double v = Double.parseDouble(s);
            return Double.isFinite(v);
        } catch (NumberFormatException e) {
            return false;
        }
    }
}
