package dev.tandem.decoding.speculative;

/**
 * How much of a draft is worth verifying, decided per step from the drafter's own confidence and the
 * measured cost of verification: of a best-first tree whose i-th node the target accepts with estimated
 * probability s_i, the first n nodes yield 1 + sum(s_i) tokens for a forward pass over n + 1 rows, so the
 * sizer takes the n (0 = a plain step) with the most expected tokens per second. Where rows are nearly
 * free (a memory-bound model) it verifies every node the drafter offers; where each row costs a step (a
 * cache-resident one) it drafts only what is nearly certain.
 *
 * <p>The drafter's probabilities are estimates: a running calibration factor (tokens the target accepted
 * over tokens the scores predicted, on steps that drafted) scales them. Verification times are the
 * {@link CostModel}'s, which every verified step keeps current. In a pass shared with other sequences'
 * rows (continuous batching) a row costs what it adds to their pass, cost(peers + rows) - cost(peers), so
 * drafting stops paying as the batch widens ({@link BatchCost}, as the router charges its options).
 */
public final class DraftSizer {
    private static final double DECAY = 0.05;  // weight of the newest step in the calibration's running sums
    /**
     * Weight of the prior (calibration 1) per step that drafts nothing. The calibration is measured only on steps
     * that draft, so once a stretch of badly predicted text has pushed it low enough that nothing is drafted, it
     * would never be measured again: at temperature 0.8 an n-gram drafter stayed at plain steps for the rest of a
     * benchmark run (and the router with it). From the floor it drafts again after about 130 plain steps.
     */
    private static final double IDLE_DECAY = 0.005;
    private static final double MIN_CALIBRATION = 0.25;
    private static final double MAX_CALIBRATION = 2.0;
    /** Steps between forced plain steps, which keep the one-row cost measured while drafting always looks better. */
    private static final int PLAIN_EVERY = 64;

    private final CostModel cost;
    private final BatchCost batch;
    private final boolean observesCost;
    private double predicted = 1;  // running sums whose ratio is the calibration factor (starts at 1)
    private double accepted = 1;
    private double lastPredicted;
    private int sincePlain; // verified steps since the last one-row step

    /**
     * A sizer reading {@code cost}; {@code observesCost}: whether it feeds the measured verification times
     * to the cost model (false where the router, sharing the model, already does).
     */
    public DraftSizer(CostModel cost, boolean observesCost) {
        this.cost = cost;
        this.batch = new BatchCost(cost);
        this.observesCost = observesCost;
    }

    /** The calibration factor applied to the drafter's probabilities. */
    public double calibration() {
        return Math.clamp(accepted / predicted, MIN_CALIBRATION, MAX_CALIBRATION);
    }

    /** The best number of leading nodes to verify, 0..{@code scores.length}; scores in best-first order. */
    public int size(double[] scores) {
        double c = calibration();
        double expected = 1;
        int best = 0;
        double bestRate = 1 / Math.max(1e-12, batch.addedSeconds(1));
        for (int n = 1; n <= scores.length; n++) {
            expected += Math.min(1, c * scores[n - 1]);
            double rate = expected / Math.max(1e-12, batch.addedSeconds(n + 1));
            if (rate > bestRate) {
                bestRate = rate;
                best = n;
            }
        }
        if (sincePlain >= PLAIN_EVERY) { // a drafter may ask several times a step (once per head): counted per step
            best = 0;
        }
        lastPredicted = 0;
        for (int i = 0; i < best; i++) {
            lastPredicted += scores[i];
        }
        return best;
    }

    /**
     * A new text (a new generation): the calibration goes halfway back to 1. Part of it belongs to the drafter (a
     * table's counts at this temperature that promise more than the target gives, in every text) and part to the
     * text it was measured on (a stretch of sampled text that loops, after which nothing was drafted, so nothing
     * measured, for the rest of a benchmark run); halfway keeps the first and ends the second: from the floor
     * (0.25) a drafter whose tokens the table rates 0.5 is tried again where two rows cost 1.3 one-row passes.
     */
    public void reset() {
        accepted = predicted * (calibration() + 1) / 2;
        lastPredicted = 0;
    }

    /** Just before {@link #verified}: the other sequences' rows in that pass (0 when it ran alone). */
    public void sharedPass(int peers) {
        batch.sharedPass(peers);
    }

    /** After the step whose size {@link #size} chose: what was verified and what it cost. */
    public void verified(int rows, int acceptedTokens, long verifyNanos) {
        sincePlain = rows == 1 ? 0 : sincePlain + 1;
        if (batch.verifiedAlone() && observesCost) {
            cost.observe(rows, verifyNanos / 1e9);
        }
        if (lastPredicted > 0) {
            predicted += DECAY * (lastPredicted - predicted);
            accepted += DECAY * (acceptedTokens - accepted);
        } else {
            accepted += IDLE_DECAY * (predicted - accepted);
        }
        lastPredicted = 0;
    }
}
