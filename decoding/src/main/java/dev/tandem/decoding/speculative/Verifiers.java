package dev.tandem.decoding.speculative;

import dev.tandem.decoding.SamplingParams;

/** Picks the lossless verification rule that fits the draft and the sampling settings. */
public final class Verifiers {
    private static final Verifier GREEDY = new GreedyVerifier();
    private static final Verifier TOKEN_MATCH = new TokenMatchVerifier();
    private static final Verifier REJECTION = new RejectionSamplingVerifier();

    private Verifiers() {}

    public static Verifier exact(DraftTree.Kind kind, SamplingParams sampling) {
        if (sampling.greedy()) {
            return GREEDY;
        }
        return kind == DraftTree.Kind.DETERMINISTIC ? TOKEN_MATCH : REJECTION;
    }
}
