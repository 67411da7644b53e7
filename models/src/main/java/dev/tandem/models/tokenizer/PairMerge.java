package dev.tandem.models.tokenizer;

/**
 * BPE's merge loop, shared by every tokenizer: repeatedly the best-ranked adjacent pair (leftmost on ties),
 * over a linked list of symbols with a {@link MergeQueue} of candidate pairs, in O(n log n). A queued pair
 * whose symbols have changed since is skipped when it comes up. The tokenizer keeps its symbols (ids,
 * spans) and says which pairs merge into what.
 */
public final class PairMerge {
    /** The symbols being merged, as a tokenizer keeps them. */
    public interface Symbols {
        /** The rule merging symbol {@code i} with its right neighbour {@code j}: (rank << 32) | merged id, or -1. */
        long rule(int i, int j);

        /** Symbol {@code j} has joined {@code i}, which is now {@code merged}. */
        void merge(int i, int j, int merged);
    }

    private PairMerge() {}

    /**
     * Merges symbols {@code [from, n)}; returns the links of the survivors: the first is {@code from} (when
     * {@code n > from}), each {@code next[k]} the one after k, -1 the end. {@code queue} counts the work.
     */
    public static int[] run(int from, int n, Symbols symbols, MergeQueue queue) {
        int[] next = new int[n];
        int[] prev = new int[n];
        boolean[] gone = new boolean[n];
        for (int k = from; k < n; k++) {
            prev[k] = k - 1;
            next[k] = k + 1 < n ? k + 1 : -1;
        }
        for (int k = from; k + 1 < n; k++) {
            offer(queue, symbols, k, k + 1);
        }
        while (!queue.isEmpty()) {
            long e = queue.pop();
            int i = MergeQueue.left(e);
            int j = next[i];
            if (gone[i] || j < 0) {
                continue;
            }
            long rule = symbols.rule(i, j);
            if (rule < 0 || (int) (rule >>> 32) != MergeQueue.rank(e)) {
                continue; // stale: one side has merged since
            }
            symbols.merge(i, j, (int) rule);
            gone[j] = true;
            next[i] = next[j];
            if (next[j] >= 0) {
                prev[next[j]] = i;
            }
            if (prev[i] >= from) {
                offer(queue, symbols, prev[i], i);
            }
            if (next[i] >= 0) {
                offer(queue, symbols, i, next[i]);
            }
        }
        return next;
    }

    private static void offer(MergeQueue queue, Symbols symbols, int i, int j) {
        long rule = symbols.rule(i, j);
        if (rule >= 0) {
            queue.push((int) (rule >>> 32), i);
        }
    }

    /** A rule as {@link Symbols#rule} gives it. */
    public static long rule(int rank, int merged) {
        return ((long) rank << 32) | (merged & 0xFFFFFFFFL);
    }
}
