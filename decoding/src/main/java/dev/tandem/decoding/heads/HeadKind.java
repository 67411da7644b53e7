package dev.tandem.decoding.heads;

/** Which decoding heads. */
public enum HeadKind {
    /**
     * Medusa: head k reads the last hidden state h through one residual block, {@code z_k = h + SiLU(W_k h + b_k)},
     * and the target's own classifier turns z_k into a guess for the token k + 1 positions after the next one.
     */
    MEDUSA,
    /**
     * Cerberus: as Medusa, but head k's block also reads head k-1's representation and the embedding of the
     * token head k-1 predicted, {@code z_k = h + SiLU(W_k [h; z_{k-1}; e(y_{k-1})] + b_k)} with {@code z_0 = h}
     * and y_0 the token the target itself just chose: later heads know what earlier heads predicted
     * (sequential knowledge). The token embedding is our addition to the paper's hidden-state connection;
     * training feeds the true tokens (teacher forcing), decoding each previous head's top token.
     */
    CERBERUS;

    public String id() {
        return name().toLowerCase();
    }

    /** Columns of W_k: the block's input size. */
    public int inputSize(int dim) {
        return this == CERBERUS ? 3 * dim : dim;
    }
}
