package dev.tandem.models;

import dev.tandem.core.Backend;
import dev.tandem.core.Tensor;

/**
 * Outputs of one forward pass. It reads the transformer's buffers, so it is valid until the next
 * forward pass on the same transformer.
 *
 * @param hidden final hidden states (after the final norm), or null when the batch did not ask for them
 * @param layerStates the captured layer's residual stream, or null
 * @param rows rows in the batch
 * @param firstLogitRow the batch row of logits row 0 (the last row when only it has logits)
 * @param peerRows rows of other sequences computed in the same pass (continuous batching); 0 when the pass
 *                 was this batch's alone. What this batch's own rows added to the pass depends on it: on a
 *                 model bound by reading its weights, rows next to many others are no longer nearly free.
 */
public record ForwardResult(Backend backend, Tensor logits, Tensor hidden, Tensor layerStates, int rows,
                            int firstLogitRow, int peerRows) {

    /** Logits after batch row {@code row} (a copy). */
    public float[] logits(int row) {
        return backend.readRow(logits, logitIndex(row));
    }

    /** Index of the largest logit of a row, computed where the logits live. */
    public int argmax(int row) {
        return backend.argmax(logits, logitIndex(row));
    }

    /**
     * Greedy acceptance of this pass's token tree, computed where the logits live ({@link Backend#acceptGreedy}):
     * {@code [L, row_1 .. row_L, token]}. The tree is rows {@code 0..parents.length-1}; rows after it (Hidden
     * Transfer's pseudo rows) are not part of it.
     */
    public int[] acceptGreedy(int[] tokens, int[] parents) {
        if (firstLogitRow != 0 || parents.length > rows || tokens.length != parents.length) {
            throw new IllegalArgumentException("greedy acceptance needs the logits of every tree row (" + parents.length
                    + " of " + rows + ") and a token and a parent per row");
        }
        return backend.acceptGreedy(logits, tokens, parents);
    }

    /** Final hidden state of a row (after the final norm), when the batch asked for them. */
    public float[] hiddenState(int row) {
        if (hidden == null) {
            throw new IllegalStateException("the batch did not ask for hidden states");
        }
        return backend.readRow(hidden, row);
    }

    /** A real row's residual stream after the layer the batch asked to capture. */
    public float[] layerState(int row) {
        if (layerStates == null) {
            throw new IllegalStateException("the batch did not ask for a layer's states");
        }
        return backend.readRow(layerStates, row);
    }

    private int logitIndex(int row) {
        if (row < firstLogitRow || row >= rows) {
            throw new IllegalArgumentException("no logits for batch row " + row + " (rows " + firstLogitRow + ".." + (rows - 1) + " have them)");
        }
        return row - firstLogitRow;
    }
}
