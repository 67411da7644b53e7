package dev.tandem.decoding.speculative;

import dev.tandem.decoding.DecodingClock;
import dev.tandem.models.Batch;
import dev.tandem.models.Transformer;
import java.lang.foreign.Arena;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.WeakHashMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Seconds of one target forward pass by number of rows, on the device at hand: first calibrated by timing
 * real forward passes of the model at start-up (after a short warm-up), then kept current with every
 * verification the generator times. Row counts between calibrated ones are interpolated.
 */
public final class CostModel {
    /** The most rows a pass is costed for. */
    static final int MAX_ROWS = 64;
    private static final double DECAY = 0.05;
    private final double[] seconds = new double[MAX_ROWS + 1];
    /**
     * {@code floor[r]}: the least of {@code seconds[r..MAX_ROWS]}, made again after a change. The router asks for
     * the cost of several row counts per option and step; scanning every larger count each time cost a few
     * microseconds a step, which is a tenth of a step on a model in cache.
     */
    private final double[] floor = new double[MAX_ROWS + 1];
    private boolean floorStale = true;

    /** Row counts timed by {@link #calibrate}; the others are interpolated. */
    private static final int[] PROBES = {1, 2, 3, 4, 5, 6, 8, 12, 16, 24, 32, 48, 64};
    private static final int MIN_ROUNDS = 3;

    /** {@link #calibrate(Transformer, long, int)} for every row count up to 64. */
    public static CostModel calibrate(Transformer scratch, long budgetMillis) {
        return calibrate(scratch, budgetMillis, MAX_ROWS);
    }

    /**
     * Calibrations already made, per loaded model (weakly, by its arena: a closed model's go with it), backend
     * and row count. A server makes a generator per concurrent request: calibrating each (seconds on a 1.1B
     * model) would stall it and time passes that compete with the requests being served.
     */
    private static final Map<Arena, Map<List<Object>, double[]>> CALIBRATED = Collections.synchronizedMap(new WeakHashMap<>());

    /**
     * {@link #calibrate(Transformer, long, int)} on a scratch transformer of {@code target}'s model, backend and
     * batch width, so the target's own KV cache is left as it is; done once per model, backend and row count,
     * each caller getting its own copy to refine.
     */
    public static CostModel calibrateFor(Transformer target, long budgetMillis, int maxRows) {
        Arena arena = target.model().arena();
        if (arena == null) {
            return calibrate(new Transformer(target.model(), target.backend(), target.cache().maxBatch()), budgetMillis, maxRows);
        }
        double[] seconds = CALIBRATED.computeIfAbsent(arena, a -> new ConcurrentHashMap<>()).computeIfAbsent(
                List.of(target.backend(), maxRows, target.cache().maxBatch()),
                k -> calibrate(new Transformer(target.model(), target.backend(), target.cache().maxBatch()), budgetMillis, maxRows).seconds);
        CostModel m = new CostModel();
        System.arraycopy(seconds, 0, m.seconds, 0, seconds.length);
        return m;
    }

    /**
     * Times forward passes of 1, 2, 3, ... rows, up to the first probe covering {@code maxRows}, on a scratch
     * transformer of the model: rounds over every probe until {@code budgetMillis} have passed, at least three
     * of them, keeping each probe's fastest. The first round also warms the JIT up: a single round of a 1.1B
     * model fits no budget of a few hundred ms, and timing it alone once made a one-row pass look slower
     * than two rows, so a drafter always looked worth its rows.
     */
    public static CostModel calibrate(Transformer scratch, long budgetMillis, int maxRows) {
        CostModel m = new CostModel();
        int maxBatch = scratch.cache().maxBatch();
        int last = 0;
        while (last + 1 < PROBES.length && PROBES[last] < Math.min(maxRows, MAX_ROWS)) {
            last++;
        }
        int[] probe = Arrays.copyOf(PROBES, last + 1);
        int[] context = new int[Math.min(64, scratch.config().contextLength() / 2)];
        Arrays.fill(context, 1);
        scratch.cache().reset();
        scratch.forward(Batch.chain(context));
        scratch.cache().commitChain(context.length);
        long deadline = DecodingClock.nanoTime() + budgetMillis * 1_000_000L;
        double[] best = new double[probe.length];
        Arrays.fill(best, Double.MAX_VALUE);
        for (int round = 0; round < MIN_ROUNDS || DecodingClock.nanoTime() < deadline; round++) {
            for (int p = 0; p < probe.length; p++) {
                int[] tokens = new int[Math.min(probe[p], maxBatch)];
                Arrays.fill(tokens, 1);
                long t0 = DecodingClock.nanoTime();
                scratch.forward(Batch.chain(tokens));
                best[p] = Math.min(best[p], (DecodingClock.nanoTime() - t0) / 1e9);
            }
        }
        for (int rows = 1; rows <= MAX_ROWS; rows++) {
            int p = 0;
            while (p + 1 < probe.length && probe[p + 1] <= rows) {
                p++;
            }
            if (p + 1 < probe.length) {
                double f = (rows - probe[p]) / (double) (probe[p + 1] - probe[p]);
                m.seconds[rows] = best[p] + f * (best[p + 1] - best[p]);
            } else { // beyond the last probe: its cost per row
                m.seconds[rows] = best[p] * rows / probe[p];
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

    /**
     * Seconds of a forward pass over {@code rows} rows: never more than for any larger count, as more rows
     * cannot cost less (a calibration timed before the JIT finished, or a noisy observation, can say so).
     * Beyond {@link #MAX_ROWS} (a wide batched pass), the cost per row of the largest count.
     */
    public double seconds(int rows) {
        if (rows > MAX_ROWS) {
            return seconds(MAX_ROWS) * rows / MAX_ROWS;
        }
        if (floorStale) {
            double s = seconds[MAX_ROWS];
            for (int r = MAX_ROWS; r >= 1; r--) {
                s = Math.min(seconds[r], s);
                floor[r] = s;
            }
            floorStale = false;
        }
        return floor[Math.max(1, rows)];
    }

    /**
     * A measured forward pass over {@code rows} rows. A pause (a collection, a compilation, another process)
     * counts as at most twice the current estimate: unclipped, one 50 ms pause moved a 60 µs estimate to
     * 2.5 ms and made every draft look cheap beside it.
     */
    public void observe(int rows, double measured) {
        if (rows >= 1 && rows <= MAX_ROWS) {
            seconds[rows] += DECAY * (clipped(measured, seconds[rows]) - seconds[rows]);
            floorStale = true;
        }
    }

    /** {@code measured}, at most twice {@code estimate} (where there is one). */
    static double clipped(double measured, double estimate) {
        return estimate > 0 ? Math.min(measured, 2 * estimate) : measured;
    }
}
