package dev.tandem.decoding.heads;

/** Which decoding heads. */
public enum HeadKind {
    /**
     * Medusa: head k reads the last hidden state h through one residual block, {@code z_k = h + SiLU(W_k h + b_k)},
     * and the target's own classifier turns z_k into a guess for the token k + 1 positions after the next one.
     */
    MEDUSA,
    /**
     * Cerberus: as Medusa, but head k's block also reads head k-1's representation,
     * {@code z_k = h + SiLU(W_k [h; z_{k-1}] + b_k)} with {@code z_0 = h}, so later heads know what earlier
     * heads predicted (sequential knowledge).
     */
    CERBERUS;

    public String id() {
        return name().toLowerCase();
    }

    /** Columns of W_k: the block's input size. */
    public int inputSize(int dim) {
        return this == CERBERUS ? 2 * dim : dim;
    }
}
