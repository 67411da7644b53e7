package dev.tandem.api;

/**
 * Running totals of one decoding method in an {@link Engine}: finished requests, tokens they produced,
 * target forward steps and decoding wall time (prompt included).
 */
public record MethodTotals(long requests, long tokens, long targetForwards, double seconds) {
    static final MethodTotals ZERO = new MethodTotals(0, 0, 0, 0);

    /** Tokens per target step over all requests (1.0 for plain decoding). */
    public double meanAcceptedLength() {
        return targetForwards == 0 ? 0 : (double) tokens / targetForwards;
    }

    MethodTotals plus(long tokens, long forwards, double seconds) {
        return new MethodTotals(requests + 1, this.tokens + tokens, targetForwards + forwards, this.seconds + seconds);
    }
}
