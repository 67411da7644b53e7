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

    private Batch(int[] tokens, TreeMask mask, boolean lastLogitsOnly, boolean hiddenStates) {
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
        return new Batch(tokens, mask, true, hiddenStates);
    }

    /** Same batch, also returning each row's final hidden state (after the final norm). */
    public Batch withHiddenStates() {
        return new Batch(tokens, mask, lastLogitsOnly, true);
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
