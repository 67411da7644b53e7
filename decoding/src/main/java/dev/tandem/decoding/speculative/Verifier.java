package dev.tandem.decoding.speculative;

import dev.tandem.decoding.Sampler;

/** Decides which path of a draft tree the target accepts and which token it adds. */
public interface Verifier {
    Acceptance verify(DraftTree tree, TargetLogits target, Sampler sampler);

    /** Whether the output distribution is exactly the target's. */
    default boolean lossless() {
        return true;
    }
}
