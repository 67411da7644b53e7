package dev.tandem.models;

import java.lang.foreign.Arena;
import java.nio.file.Path;
import java.util.Map;

/**
 * A loaded model: its configuration and weights. The weights are views into the memory-mapped file,
 * valid until {@link #close()}; a model is shared read-only by every transformer made from it.
 *
 * @param metadata what the file says besides the weights (GGUF key/values, or a Hugging Face folder's
 *                 config); the tokenizer is built from it when the file embeds one
 */
public record Model(Path path, LlamaConfig config, LlamaWeights weights, Arena arena, Map<String, Object> metadata)
        implements AutoCloseable {
    public Model(Path path, LlamaConfig config, LlamaWeights weights, Arena arena) {
        this(path, config, weights, arena, Map.of());
    }

    /** The model's name: its file name without the extension. */
    public String name() {
        String f = path.toAbsolutePath().normalize().getFileName().toString();
        if (java.nio.file.Files.isDirectory(path)) {
            return f; // a Hugging Face folder: its name is the model's, dots and all
        }
        int dot = f.lastIndexOf('.');
        return dot > 0 ? f.substring(0, dot) : f;
    }

    /** Unmaps the file; using the weights afterwards fails with an IllegalStateException, never a crash. */
    @Override
    public void close() {
        arena.close();
    }
}
