package dev.tandem.models;

import dev.tandem.core.TandemException;

/**
 * What a transformer allocates, checked before it allocates: the KV cache (two float tables of
 * (context + batch) x kv width per layer), the RoPE table and the activations of a batch. Sizes come from a
 * file's header, so a hostile or simply huge context length is refused with one line naming the field,
 * its value and the limit, never an OutOfMemoryError or an integer overflow.
 */
final class MemoryBudget {
    private MemoryBudget() {}

    /** Bytes one transformer of {@code layers} layers allocates for {@code maxBatch} rows. */
    static long bytes(LlamaConfig c, int layers, int maxBatch) {
        long slots = (long) c.contextLength() + maxBatch;
        long kv = 2L * layers * slots * c.kvDim();
        long rope = (long) c.contextLength() * c.headSize();
        long activations = (long) maxBatch * (6L * c.dim() + 2L * c.kvDim() + 2L * c.hiddenDim() + c.vocabSize());
        return 4 * (kv + rope + activations);
    }

    static void require(Model model, int layers, int maxBatch) {
        Runtime rt = Runtime.getRuntime();
        require(model, layers, maxBatch, rt.maxMemory() - (rt.totalMemory() - rt.freeMemory()));
    }

    /** Refuses a transformer that needs more than {@code free} bytes, or a KV table longer than an array holds. */
    static void require(Model model, int layers, int maxBatch, long free) {
        LlamaConfig c = model.config();
        long need = bytes(c, layers, maxBatch);
        long slots = (long) c.contextLength() + maxBatch;
        if (slots * c.kvDim() > Integer.MAX_VALUE - 8) {
            throw new TandemException(model.path().getFileName() + ": context_length " + c.contextLength() + " with a key/value width of "
                    + c.kvDim() + " needs a KV table of " + slots * c.kvDim() + " values per layer, more than the " + (Integer.MAX_VALUE - 8)
                    + " one table can hold; pass --ctx-size N (at most " + ((Integer.MAX_VALUE - 8L) / c.kvDim() - maxBatch) + ")");
        }
        if (need > free) {
            long perPosition = 4L * (2L * layers * c.kvDim() + c.headSize());
            long fits = Math.max(0, (free - bytes(c.withContextLength(1), layers, maxBatch)) / perPosition);
            throw new TandemException(String.format(java.util.Locale.ROOT, "%s: context_length %d needs %.2f GB for the KV cache "
                    + "(%d layers x %d positions x %d keys and values, 4 bytes each), more than the %.2f GB of heap left; "
                    + "pass --ctx-size N (about %d fits) or give Java more heap (-Xmx)", model.path().getFileName(), c.contextLength(),
                    need / 1e9, layers, slots, c.kvDim(), free / 1e9, fits));
        }
    }
}
