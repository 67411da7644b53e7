package dev.tandem.decoding.speculative;

import dev.tandem.models.Batch;
import dev.tandem.models.Transformer;
import java.util.Arrays;

/**
 * Seconds of one target forward pass by number of rows, on the device at hand: first calibrated by timing
 * real forward passes of the model at start-up (after a short warm-up), then kept current with every
 * verification the generator times. Row counts between calibrated ones are interpolated.
 */
public final class CostModel {
    private static final int MAX_ROWS = 64;
    private static final double DECAY = 0.05;
    private final double[] seconds = new double[MAX_ROWS + 1];

    /** Times forward passes of 1, 2, 4, ... rows on a scratch transformer of the model for about {@code budgetMillis}. */
    public static CostModel calibrate(Transformer scratch, long budgetMillis) {
        CostModel m = new CostModel();
        int[] probe = {1, 2, 4, 8, 16, 32, 64};
        int maxBatch = scratch.cache().maxBatch();
        int[] context = new int[Math.min(64, scratch.config().contextLength() / 2)];
        Arrays.fill(context, 1);
        scratch.cache().reset();
        scratch.forward(Batch.chain(context));
        scratch.cache().commitChain(context.length);
        long deadline = System.nanoTime() + budgetMillis * 1_000_000L;
        double[] best = new double[probe.length];
        Arrays.fill(best, Double.MAX_VALUE);
        do {
            for (int p = 0; p < probe.length; p++) {
                int n = Math.min(probe[p], maxBatch);
                int[] tokens = new int[n];
                Arrays.fill(tokens, 1);
                long t0 = System.nanoTime();
                scratch.forward(Batch.chain(tokens));
                best[p] = Math.min(best[p], (System.nanoTime() - t0) / 1e9);
            }
        } while (System.nanoTime() < deadline);
        for (int rows = 1; rows <= MAX_ROWS; rows++) {
            int p = 0;
            while (p + 1 < probe.length && probe[p + 1] <= rows) {
                p++;
            }
            if (p + 1 < probe.length) {
                double f = (rows - probe[p]) / (double) (probe[p + 1] - probe[p]);
                m.seconds[rows] = best[p] + f * (best[p + 1] - best[p]);
            } else {
                m.seconds[rows] = best[p];
            }
        }
        return m;
    }

    /** A model where a forward costs {@code perRow} seconds per row plus {@code fixed} (for tests). */
    public static CostModel linear(double fixed, double perRow) {
        CostModel m = new CostModel();
        for (int rows = 1; rows <= MAX_ROWS; rows++) {
            m.seconds[rows] = fixed + perRow * rows;
        }
        return m;
    }

    public double seconds(int rows) {
        return seconds[Math.max(1, Math.min(MAX_ROWS, rows))];
    }

    public void observe(int rows, double measured) {
        if (rows >= 1 && rows <= MAX_ROWS) {
            seconds[rows] += DECAY * (measured - seconds[rows]);
        }
    }
}
