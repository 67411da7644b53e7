package dev.tandem.decoding;

import dev.tandem.models.Batch;
import dev.tandem.models.ForwardResult;
import dev.tandem.models.Transformer;
import java.util.Arrays;

/**
 * Feeds a prompt to an empty cache in chunks and commits it: chunks as large as the transformer takes when it
 * runs alone, smaller while it shares passes with decoding sequences ({@link Transformer#prefillRows}), so
 * that an arriving prompt interleaves with their steps instead of stalling them.
 */
public final class Prefill {
    private Prefill() {}

    /** Logits after the last prompt token. */
    public static float[] run(Transformer transformer, int[] prompt) {
        return run(transformer, prompt, null);
    }

    /** Logits after the last prompt token; its final hidden state goes to {@code hidden[0]} when given. */
    public static float[] run(Transformer transformer, int[] prompt, float[][] hidden) {
        transformer.cache().reset();
        float[] logits = null;
        for (int start = 0, end; start < prompt.length; start = end) {
            end = Math.min(prompt.length, start + transformer.prefillRows());
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
