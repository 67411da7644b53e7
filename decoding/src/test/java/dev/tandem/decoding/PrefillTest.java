package dev.tandem.decoding;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.tandem.models.ForwardBatcher;
import dev.tandem.models.Transformer;
import java.time.Duration;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * A prompt goes in chunks as large as the transformer takes when it is alone, and in the batcher's prefill
 * chunks while other sequences share its passes; either way its logits and cache are those of one pass.
 */
class PrefillTest extends OnStories260k {
    private static final int PROMPT = 30;

    private static int[] prompt() {
        SplittableRandom rnd = new SplittableRandom(11);
        int[] p = new int[PROMPT];
        p[0] = 1;
        for (int i = 1; i < p.length; i++) {
            p[i] = 3 + rnd.nextInt(500);
        }
        return p;
    }

    /** The logits after the prompt and after one more token (which reads the whole prefilled cache). */
    private static float[][] prefillThenStep(Transformer t) {
        float[] last = Prefill.run(t, prompt());
        float[] next = t.forward(dev.tandem.models.Batch.chain(7)).logits(0);
        return new float[][] {last, next};
    }

    @Test
    void besideAnotherMemberThePromptGoesInPrefillChunksWithTheSameResult() {
        float[][] alone = prefillThenStep(new Transformer(model, backend));
        ForwardBatcher batcher = new ForwardBatcher(backend, 256, Duration.ofMillis(1), 1, 4);
        // a second member that never calls: each pass waits at most 1 ms for it, then runs the chunk alone
        try (ForwardBatcher.Membership self = batcher.join(); ForwardBatcher.Membership other = batcher.join()) {
            Transformer t = new Transformer(model, backend).batchedBy(batcher);
            assertEquals(4, t.prefillRows());
            float[][] shared = prefillThenStep(t);
            assertArrayEquals(alone[0], shared[0], "logits after the prompt");
            assertArrayEquals(alone[1], shared[1], "logits of the next token, over the prefilled cache");
        }
        ForwardBatcher.Counters c = batcher.counters();
        assertEquals((PROMPT + 3) / 4 + 1, c.passes(), "passes: ceil(30 / 4) chunks, then the step");
        assertEquals(PROMPT + 1, c.rows());
    }

    @Test
    void aloneInTheBatcherThePromptGoesInOnePass() {
        ForwardBatcher batcher = new ForwardBatcher(backend, 256, Duration.ofMillis(1), 1, 4);
        try (ForwardBatcher.Membership self = batcher.join()) {
            Transformer t = new Transformer(model, backend).batchedBy(batcher);
            assertEquals(Transformer.DEFAULT_MAX_BATCH, t.prefillRows());
            prefillThenStep(t);
        }
        assertEquals(2, batcher.counters().passes(), "the whole prompt, then the step");
    }

    @Test
    void withoutABatcherChunksAreTheCachesMostRows() {
        Transformer t = new Transformer(model, backend, 8);
        assertEquals(8, t.prefillRows());
        assertArrayEquals(prefillThenStep(new Transformer(model, backend))[1], prefillThenStep(t)[1]);
    }
}
