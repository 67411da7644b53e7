package dev.tandem.bench;

import dev.tandem.core.Backend;
import dev.tandem.core.TandemException;
import dev.tandem.core.Tensor;
import dev.tandem.core.TreeMask;
import dev.tandem.decoding.DecodingClock;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.util.Locale;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@code bench methods --simulate-costs "1:20.5,2:33.2,4:47.6,..." [--simulate-layers 22]}: methods decode a small model
 * (whose predictions a large one shares: stories260K and its inflated copies) while the decoding clock charges every
 * pass what a pass of that many rows costs on the large one, in milliseconds as {@code bench verify-cost} measured them
 * there. A pass through all the small model's layers is charged a whole pass; one through its first K layers (a draft
 * model made of the target's own layers) K / {@code --simulate-layers} of one, as the large model's first K layers
 * would cost (an inflated model keeps the small one's layers first). The draft sizer and the router then decide from
 * those costs, and tokens per second are the large model's, without its noise: the clock reads only what was charged,
 * so the same run gives the same figures. Not modelled: time outside passes (drafting from a table, the decoding heads'
 * own matmuls, sampling), which is microseconds here and small against a pass there, but not nothing (a padded
 * Cerberus head costs the inflated TinyLlama-1.1B 1.2 ms a step).
 */
final class SimulatedCosts {
    private final TreeMap<Integer, Double> millis = new TreeMap<>();
    private final AtomicLong charged = new AtomicLong();

    SimulatedCosts(String spec) {
        if (spec.endsWith(".csv")) {
            readVerifyCostCsv(java.nio.file.Path.of(spec));
        } else {
            for (String part : spec.split(",")) {
                String[] kv = part.trim().split(":");
                if (kv.length != 2 || !add(kv[0], kv[1])) {
                    throw new TandemException("--simulate-costs: '" + part.trim()
                            + "' is not ROWS:MILLISECONDS (for example 1:20.5,2:33.2,4:47.6,8:84.4,16:158)");
                }
            }
        }
        if (!millis.containsKey(1)) {
            throw new TandemException("--simulate-costs must give the cost of one row (1:MS)");
        }
    }

    /** Records the cost of {@code rows} rows, {@code ms} milliseconds; false where either is not a positive number. */
    private boolean add(String rows, String ms) {
        try {
            int r = Integer.parseInt(rows.trim());
            double m = Double.parseDouble(ms.trim());
            if (r < 1 || !(m > 0)) {
                return false;
            }
            millis.put(r, m);
            return true;
        } catch (NumberFormatException e) {
            return false;
        }
    }

    /**
     * The costs of a {@code bench verify-cost --report-dir} table: its first column (rows) and its last "µs, N threads"
     * column (the most threads measured), in milliseconds.
     */
    private void readVerifyCostCsv(java.nio.file.Path csv) {
        java.util.List<String> lines;
        try {
            lines = java.nio.file.Files.readAllLines(csv);
        } catch (java.io.IOException e) {
            throw new TandemException("--simulate-costs: cannot read " + csv + ": " + e.getMessage());
        }
        if (lines.size() < 2) {
            throw new TandemException("--simulate-costs: " + csv + " has no rows (expected bench verify-cost's verify-cost.csv)");
        }
        java.util.List<String> header = Tables.csvCells(lines.get(0));
        int column = -1;
        for (int i = 1; i < header.size(); i++) {
            if (header.get(i).startsWith("µs")) {
                column = i;
            }
        }
        if (column < 0) {
            throw new TandemException("--simulate-costs: " + csv + " has no \"µs, N threads\" column (expected bench verify-cost's verify-cost.csv)");
        }
        for (String line : lines.subList(1, lines.size())) {
            java.util.List<String> cells = Tables.csvCells(line);
            if (cells.size() > column) {
                String ms;
                try {
                    ms = Double.toString(Double.parseDouble(cells.get(column).trim()) / 1000);
                } catch (NumberFormatException e) {
                    ms = "";
                }
                if (!add(cells.get(0), ms)) {
                    throw new TandemException("--simulate-costs: " + csv + ": '" + line + "' is not a row of rows and microseconds");
                }
            }
        }
    }

    /** Milliseconds of a pass over {@code rows} rows: linear between the given row counts, and beyond the last two. */
    double passMillis(int rows) {
        Double exact = millis.get(rows);
        if (exact != null) {
            return exact;
        }
        var below = millis.floorEntry(rows);
        var above = millis.ceilingEntry(rows);
        if (above == null) { // beyond the largest: the slope of the last two (or proportional to rows if one is given)
            var last = millis.lastEntry();
            var prev = millis.lowerEntry(last.getKey());
            double slope = prev == null ? last.getValue() / last.getKey()
                    : (last.getValue() - prev.getValue()) / (last.getKey() - prev.getKey());
            return last.getValue() + slope * (rows - last.getKey());
        }
        double f = (rows - below.getKey()) / (double) (above.getKey() - below.getKey());
        return below.getValue() + f * (above.getValue() - below.getValue());
    }

    /** Nanoseconds charged so far. */
    long chargedNanos() {
        return charged.get();
    }

    /**
     * {@code backend} with every pass charged: attention calls count its layers and rows, and the classifier's matmul
     * (a {@code vocab}-row weight), which ends every pass, charges it: cost(rows) for all {@code layers}, else cost(rows)
     * times layers run / {@code simulatedLayers}. The decoding clock becomes the sum of the charges, until
     * {@link DecodingClock#reset}.
     */
    Backend charging(Backend backend, int layers, int vocab, int simulatedLayers) {
        DecodingClock.use(charged::get);
        int[] pass = new int[2]; // layers run and rows of the pass under way (one thread runs decoding's passes)
        return (Backend) Proxy.newProxyInstance(Backend.class.getClassLoader(), new Class<?>[] {Backend.class},
                (proxy, method, args) -> {
                    if (method.getName().equals("attention") && args[5] instanceof TreeMask mask) {
                        pass[0]++;
                        pass[1] = mask.size();
                    } else if (method.getName().equals("matmul") && args[2] instanceof Tensor w && w.rows() == vocab && pass[0] > 0) {
                        double share = pass[0] >= layers ? 1 : pass[0] / (double) simulatedLayers;
                        charged.addAndGet(Math.round(passMillis(pass[1]) * 1e6 * share));
                        pass[0] = 0;
                    }
                    try {
                        return method.invoke(backend, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
    }

    /** The costs as given, for the table's header. */
    String describe() {
        StringBuilder s = new StringBuilder();
        millis.forEach((k, v) -> s.append(s.isEmpty() ? "" : ", ").append(String.format(Locale.ROOT, "%d rows %.1f ms", k, v)));
        return s.toString();
    }
}
