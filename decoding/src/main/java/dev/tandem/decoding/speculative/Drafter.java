package dev.tandem.decoding.speculative;

import dev.tandem.decoding.Sampler;
import java.util.Map;

/**
 * Proposes a token tree continuing a sequence. The last token of the history is the root: the target
 * has not seen it yet and verifies it together with the draft.
 */
public interface Drafter {
    String name();

    /** Called once per generation with the prompt, before the first proposal. */
    default void reset(TokenHistory history) {}

    /**
     * A draft below {@code history.last()}, at most {@code maxDepth} tokens deep (0 means: propose nothing).
     * Sampled drafters draw with {@code sampler} and record the distributions they drew from.
     */
    DraftTree propose(TokenHistory history, int maxDepth, Sampler sampler);

    /** Whether the drafter reads the target's hidden states (decoding heads); the loop then asks for them. */
    default boolean wantsHiddenState() {
        return false;
    }

    /**
     * Before each proposal: the target's final hidden state and logits at the position whose prediction
     * became {@code history.last()} (only called when {@link #wantsHiddenState()}).
     */
    default void observe(float[] hidden, float[] logits) {}

    /** Counts of the drafter's own decisions so far (cumulative), e.g. an adaptive gate's. */
    default Map<String, Long> events() {
        return Map.of();
    }

    /**
     * After each verification: the tree that was verified, how many of its tokens were accepted, how long
     * the target's forward pass took and how long {@link #propose} took. Adaptive drafters learn from it.
     */
    default void verified(DraftTree tree, int accepted, long verifyNanos, long draftNanos) {}

    /**
     * Just before {@link #verified}: how many rows of other sequences shared that verification pass
     * (continuous batching; 0 when it ran alone), so that a drafter weighing its rows' cost can tell what
     * they cost next to others' rows from what they cost alone.
     */
    default void sharedPass(int peerRows) {}

    /**
     * Whether the drafter gates itself: it sizes each draft against the measured cost of rows and proposes none
     * (a plain step) where drafting does not pay, so that on average it is worth at least a plain step.
     */
    default boolean gatesItself() {
        return false;
    }

    /**
     * Whether a draft asked for at most d tokens is the first d tokens of the draft asked for more (a chain, cut
     * short): one verified step then tells the router what its options of other depths with this drafter would
     * have given (lookup and draft model chains).
     */
    default boolean nestsChains() {
        return false;
    }

    /** Forward passes run so far per draft model level (cumulative; empty for model-free drafters). */
    default Map<String, Long> draftForwards() {
        return Map.of();
    }

    /** Whether the draft is exact under the verification this drafter asks for (lenience > 1 is not). */
    default Verifier verifier(dev.tandem.decoding.SamplingParams sampling, DraftTree.Kind kind) {
        return Verifiers.exact(kind, sampling);
    }
}
