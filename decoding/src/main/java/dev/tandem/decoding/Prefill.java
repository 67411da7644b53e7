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
        transformer.cache().reset();
        int max = transformer.cache().maxBatch();
        float[] logits = null;
        for (int start = 0; start < prompt.length; start += max) {
            int end = Math.min(prompt.length, start + max);
            Batch chunk = Batch.chain(Arrays.copyOfRange(prompt, start, end)).lastLogitsOnly();
            ForwardResult r = transformer.forward(chunk);
            if (end == prompt.length) {
                logits = r.logits(end - start - 1);
            }
            transformer.cache().commit(chainRows(end - start));
        }
        return logits;
    }

    static int[] chainRows(int n) {
        int[] rows = new int[n];
        for (int i = 0; i < n; i++) {
            rows[i] = i;
        }
        return rows;
    }
}
