package dev.tandem.decoding;

import dev.tandem.models.Batch;
import dev.tandem.models.ForwardResult;
import dev.tandem.models.Transformer;
import java.util.Arrays;

/** Feeds a prompt to an empty cache in batches of the transformer's maximum size and commits it. */
public final class Prefill {
    private Prefill() {}

    /** Logits after the last prompt token. */
    public static float[] run(Transformer transformer, int[] prompt) {
        return run(transformer, prompt, null);
    }

    /** Logits after the last prompt token; its final hidden state goes to {@code hidden[0]} when given. */
    public static float[] run(Transformer transformer, int[] prompt, float[][] hidden) {
        transformer.cache().reset();
        int max = transformer.cache().maxBatch();
        float[] logits = null;
        for (int start = 0; start < prompt.length; start += max) {
            int end = Math.min(prompt.length, start + max);
            Batch chunk = Batch.chain(Arrays.copyOfRange(prompt, start, end)).lastLogitsOnly();
            boolean last = end == prompt.length;
            ForwardResult r = transformer.forward(last && hidden != null ? chunk.withHiddenStates() : chunk);
            if (last) {
                logits = r.logits(end - start - 1);
                if (hidden != null) {
                    hidden[0] = r.hiddenState(end - start - 1);
                }
            }
            transformer.cache().commitChain(end - start);
        }
        return logits;
    }
}
