package dev.tandem.decoding.speculative;

/**
 * What one sequence's rows cost when its verification passes may be shared with other sequences' rows
 * (continuous batching): alone, the whole pass; in a batch, what they add to the others' pass,
 * cost(peers + rows) - cost(peers), with peers the running mean of the other rows seen in its passes.
 * The router and the draft sizer both charge rows this way, so drafting stops paying as the batch widens.
 */
final class BatchCost {
    /** Weight of the newest pass in the running mean of the rows other sequences put into this one's passes. */
    private static final double PEER_DECAY = 0.2;

    private final CostModel cost;
    private double peerRows;  // running mean of other sequences' rows in this sequence's passes
    private int lastPeerRows; // other sequences' rows in the last pass

    BatchCost(CostModel cost) {
        this.cost = cost;
    }

    /** The other sequences' rows in the pass just run (0 when it ran alone). */
    void sharedPass(int peers) {
        lastPeerRows = peers;
        peerRows += PEER_DECAY * (peers - peerRows);
    }

    /** Seconds that {@code rows} rows add to a pass: alone, their whole pass; in a batch, cost(peers + rows) - cost(peers). */
    double addedSeconds(int rows) {
        int peers = (int) Math.round(peerRows);
        return cost.seconds(peers + rows) - (peers == 0 ? 0 : cost.seconds(peers));
    }

    /**
     * Whether the pass just verified ran alone, so that its time is what its rows cost (a shared pass's time
     * holds others' rows and the wait to form it); the next pass starts alone unless {@link #sharedPass} says not.
     */
    boolean verifiedAlone() {
        boolean alone = lastPeerRows == 0;
        lastPeerRows = 0;
        return alone;
    }
}
