package dev.tandem.models;

/**
 * Where a transformer's forward passes go when they may share one pass with other sequences' rows
 * (continuous batching, {@link ForwardBatcher}). The transformer offers each pass to its route and runs it
 * alone when the route declines, so the forward pass itself knows nothing of batching.
 */
public interface ForwardRoute {
    /** The pass's result, computed together with other sequences' rows, or null when this route does not take it. */
    ForwardResult forward(Transformer transformer, Batch batch);

    /**
     * How many prompt rows a prefill chunk should hold now, given the transformer's most ({@code max}): fewer
     * while other sequences decode through this route, whose steps would otherwise wait for the whole chunk.
     */
    default int prefillRows(int max) {
        return max;
    }
}
