package dev.tandem.models;

import dev.tandem.core.Backend;
import dev.tandem.core.TandemException;
import dev.tandem.core.Tensor;
import dev.tandem.core.TreeMask;

/**
 * Keys and values of every layer. Rows {@code [0, length)} are committed positions; a forward pass writes
 * its batch row b at scratch row {@code length + b}. {@link #commit} moves an accepted root-to-leaf path of
 * the last batch into place: O(accepted rows), never a copy of the whole cache.
 */
public final class KvCache {
    private final Backend backend;
    private final Tensor[] keys;
    private final Tensor[] values;
    private final int contextLength;
    private final int maxBatch;
    private int length;
    private TreeMask pending; // mask of the last forward's batch, until committed or dropped

    public KvCache(Backend backend, LlamaConfig config, int layers, int maxBatch) {
        this.backend = backend;
        this.contextLength = config.contextLength();
        this.maxBatch = maxBatch;
        this.keys = new Tensor[layers];
        this.values = new Tensor[layers];
        for (int l = 0; l < layers; l++) {
            keys[l] = backend.allocateKeys(contextLength + maxBatch, config.kvDim());
            values[l] = backend.allocateValues(contextLength + maxBatch, config.kvDim());
        }
    }

    /** Committed positions. */
    public int length() {
        return length;
    }

    public int contextLength() {
        return contextLength;
    }

    public int maxBatch() {
        return maxBatch;
    }

    Tensor keys(int layer) {
        return keys[layer];
    }

    Tensor values(int layer) {
        return values[layer];
    }

    void stage(TreeMask mask) {
        this.pending = mask;
    }

    /**
     * Keeps batch rows {@code acceptedRows} of the last forward pass (a path from a root down, in order) as
     * the next committed positions and drops every other row of that batch.
     */
    public void commit(int... acceptedRows) {
        TreeMask mask = pending;
        if (mask == null) {
            throw new IllegalStateException("commit without a forward pass to commit from");
        }
        int prev = -1;
        for (int i = 0; i < acceptedRows.length; i++) {
            int row = acceptedRows[i];
            if (row < 0 || row >= mask.size() || mask.parent(row) != prev) {
                throw new IllegalArgumentException("accepted rows must be a path from a root of the last batch; row "
                        + row + " at index " + i + " does not continue it");
            }
            prev = row;
        }
        int moves = 0;
        int[] from = new int[acceptedRows.length];
        int[] to = new int[acceptedRows.length];
        for (int i = 0; i < acceptedRows.length; i++) {
            if (acceptedRows[i] != i) {
                from[moves] = length + acceptedRows[i];
                to[moves++] = length + i;
            }
        }
        if (moves > 0) {
            from = java.util.Arrays.copyOf(from, moves);
            to = java.util.Arrays.copyOf(to, moves);
            for (int l = 0; l < keys.length; l++) {
                backend.compactKv(keys[l], values[l], from, to);
            }
        }
        length += acceptedRows.length;
        pending = null;
    }

    /** Keeps the first {@code n} rows of the last forward pass, which must have been a chain. */
    public void commitChain(int n) {
        int[] rows = new int[n];
        for (int i = 0; i < n; i++) {
            rows[i] = i;
        }
        commit(rows);
    }

    /** Forgets positions from {@code newLength} on (a rollback to an earlier point). */
    public void truncate(int newLength) {
        if (newLength < 0 || newLength > length) {
            throw new IllegalArgumentException("cannot truncate a cache of " + length + " positions to " + newLength);
        }
        length = newLength;
        pending = null;
    }

    public void reset() {
        truncate(0);
    }

    void checkFits(int rows, int maxDepth) {
        if (rows > maxBatch) {
            throw new TandemException("a batch of " + rows + " rows exceeds the maximum batch of " + maxBatch);
        }
        if (length + maxDepth >= contextLength) {
            throw new TandemException("position " + (length + maxDepth) + " is past the context length of "
                    + contextLength + " tokens");
        }
    }
}
