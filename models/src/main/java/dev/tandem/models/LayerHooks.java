package dev.tandem.models;

import dev.tandem.core.Backend;
import dev.tandem.core.Tensor;

/**
 * What a batch asks the forward pass to do between layers, apart from the Llama block itself: keep a copy
 * of the residual entering one layer (decoding heads and hidden transfers are trained and run on it), and
 * Hidden Transfer's pseudo hidden states of future tokens, which join the residual stream at their layer
 * and run as extra rows from there on. The pass calls {@link #enteringLayer} before each layer and
 * {@link #afterLastLayer} once after the last.
 */
final class LayerHooks {
    private final Batch batch;
    private final Backend backend;
    private final int dim;
    private final int rows;
    private final int rowsWithPseudo;
    private Tensor captured;

    /** @param rows the batch's real rows; {@code rowsWithPseudo} adds the pseudo rows of a transfer */
    LayerHooks(Batch batch, Backend backend, int dim, int rows, int rowsWithPseudo) {
        this.batch = batch;
        this.backend = backend;
        this.dim = dim;
        this.rows = rows;
        this.rowsWithPseudo = rowsWithPseudo;
    }

    /** Before layer {@code layer} runs: capture, then inject. */
    void enteringLayer(int layer, Tensor residual) {
        capture(layer, residual);
        Batch.Transfer transfer = batch.transfer();
        if (transfer != null && layer == transfer.layer()) {
            float[][] pseudo = transfer.fn().apply(backend.readRow(residual, transfer.anchor()));
            for (int i = 0; i < transfer.count(); i++) {
                backend.copyRows(Tensor.wrap(pseudo[i], 1, dim), 0, residual, rows + i, 1);
            }
        }
    }

    /** After the last of {@code layers} layers, before the final norm: a capture asked for there. */
    void afterLastLayer(int layers, Tensor residual) {
        capture(layers, residual);
    }

    private void capture(int layer, Tensor residual) {
        if (layer == batch.captureLayer()) {
            captured = backend.allocate(rows, dim);
            backend.copyRows(residual, 0, captured, 0, rows);
        }
    }

    /** Whether layer {@code layer} also runs the pseudo rows (from the transfer's layer on). */
    boolean withPseudoRows(int layer) {
        return batch.transfer() != null && layer >= batch.transfer().layer();
    }

    /** Rows layer {@code layer} runs. */
    int rows(int layer) {
        return withPseudoRows(layer) ? rowsWithPseudo : rows;
    }

    /** The residual captured at the batch's capture layer, or null. */
    Tensor captured() {
        return captured;
    }
}
