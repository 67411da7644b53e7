package dev.tandem.models;

import java.lang.foreign.Arena;
import java.nio.file.Path;

/**
 * A loaded model: its configuration and weights. The weights are views into the memory-mapped file,
 * valid until {@link #close()}; a model is shared read-only by every transformer made from it.
 */
public record Model(Path path, LlamaConfig config, LlamaWeights weights, Arena arena) implements AutoCloseable {
    /** The model's name: its file name without the extension. */
    public String name() {
        String f = path.getFileName().toString();
        int dot = f.lastIndexOf('.');
        return dot > 0 ? f.substring(0, dot) : f;
    }

    /** Unmaps the file; using the weights afterwards fails with an IllegalStateException, never a crash. */
    @Override
    public void close() {
        arena.close();
    }
}
