package dev.tandem.models;

import dev.tandem.core.TreeMask;

/**
 * New tokens for one forward pass: a chain or a token tree (see {@link TreeMask}), which rows need
 * logits, and whether to return hidden states. Positions follow from the cache: a row at depth d sits at
 * {@code cache.length() + d}.
 */
public final class Batch {
    private final int[] tokens;
    private final TreeMask mask;
    private final boolean lastLogitsOnly;
    private final boolean hiddenStates;
    private final Transfer transfer;
    private final int captureLayer;

    /**
     * Hidden Transfer's injection: after {@code layer} layers, {@code fn} maps the residual stream of batch
     * row {@code anchor} to {@code count} pseudo hidden states. They join the batch as extra rows (a chain
     * below the anchor, at the next positions) and run through the remaining layers only; their logits
     * follow the real rows'. They are never committed to the cache.
     */
    public record Transfer(int layer, int anchor, int count, java.util.function.Function<float[], float[][]> fn) {}

    private Batch(int[] tokens, TreeMask mask, boolean lastLogitsOnly, boolean hiddenStates) {
        this(tokens, mask, lastLogitsOnly, hiddenStates, null, -1);
    }

    private Batch(int[] tokens, TreeMask mask, boolean lastLogitsOnly, boolean hiddenStates, Transfer transfer, int captureLayer) {
        if (tokens.length == 0) {
            throw new IllegalArgumentException("a batch needs at least one token");
        }
        if (tokens.length != mask.size()) {
            throw new IllegalArgumentException(tokens.length + " tokens but " + mask.size() + " parents");
        }
        this.tokens = tokens;
        this.mask = mask;
        this.lastLogitsOnly = lastLogitsOnly;
        this.hiddenStates = hiddenStates;
        this.transfer = transfer;
        this.captureLayer = captureLayer;
    }

    /** Tokens that follow each other (prompt prefill, plain decoding, a draft chain). */
    public static Batch chain(int... tokens) {
        return new Batch(tokens.clone(), TreeMask.chain(tokens.length), false, false);
    }

    /** A token tree: {@code parents[i]} is the row token i follows, or -1 for the cache. */
    public static Batch tree(int[] tokens, int[] parents) {
        return new Batch(tokens.clone(), TreeMask.of(parents), false, false);
    }

    /** Same batch, computing logits for the last row only (prefill needs no others). */
    public Batch lastLogitsOnly() {
        return new Batch(tokens, mask, true, hiddenStates, transfer, captureLayer);
    }

    /** Same batch, also returning each row's final hidden state (after the final norm). */
    public Batch withHiddenStates() {
        return new Batch(tokens, mask, lastLogitsOnly, true, transfer, captureLayer);
    }

    /** Same batch with pseudo rows injected after {@code t.layer()} layers (Hidden Transfer). */
    public Batch withTransfer(Transfer t) {
        if (t.anchor() < 0 || t.anchor() >= tokens.length || t.count() < 1 || t.layer() < 1) {
            throw new IllegalArgumentException("bad transfer " + t);
        }
        return new Batch(tokens, mask, false, hiddenStates, t, captureLayer);
    }

    /** Same batch, also returning the real rows' residual stream after {@code layers} layers. */
    public Batch capturingLayer(int layers) {
        return new Batch(tokens, mask, lastLogitsOnly, hiddenStates, transfer, layers);
    }

    Transfer transfer() {
        return transfer;
    }

    int captureLayer() {
        return captureLayer;
    }

    /** The mask over real and pseudo rows (the real one when there is no transfer). */
    TreeMask fullMask() {
        if (transfer == null) {
            return mask;
        }
        int n = tokens.length;
        int[] parents = java.util.Arrays.copyOf(mask.parents(), n + transfer.count());
        for (int i = 0; i < transfer.count(); i++) {
            parents[n + i] = i == 0 ? transfer.anchor() : n + i - 1;
        }
        return TreeMask.of(parents);
    }

    public int size() {
        return tokens.length;
    }

    public int token(int row) {
        return tokens[row];
    }

    int[] tokens() {
        return tokens;
    }

    public TreeMask mask() {
        return mask;
    }

    boolean isLastLogitsOnly() {
        return lastLogitsOnly;
    }

    boolean wantsHiddenStates() {
        return hiddenStates;
    }
}
