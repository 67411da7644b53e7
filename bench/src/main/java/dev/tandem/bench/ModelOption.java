package dev.tandem.bench;

import dev.tandem.api.Engine;
import dev.tandem.models.Model;
import dev.tandem.models.ModelLoader;
import java.nio.file.Path;
import java.util.List;
import picocli.CommandLine.Option;

/**
 * {@code --model} and {@code --ctx-size}, declared once for every benchmark that loads one model: a file whose own
 * context is long (a Mistral-7B-shaped one: 32768 positions) needs a smaller KV cache to fit the default heap, as in
 * {@code generate}.
 */
final class ModelOption {
    @Option(names = "--model", paramLabel = "PATH", description = "Model (default: stories260K beside the checkout).")
    Path path = BenchPaths.defaultModel();

    @Option(names = {"--ctx-size", "-c"}, paramLabel = "N",
            description = "Positions the KV cache holds, at most the model's context length (default: the model's; as generate's).")
    int ctxSize = 0;

    /** The model with the KV cache {@code --ctx-size} asks for. */
    Model load() {
        return ModelLoader.load(path, ctxSize);
    }

    /** An engine builder for the model with that KV cache, for the benchmarks that go through {@link Engine}. */
    Engine.Builder engine() {
        return Engine.builder(path).contextSize(ctxSize);
    }

    /** These options as arguments again, for a benchmark that runs another in the same JVM. */
    List<String> args() {
        return List.of("--model", path.toString(), "--ctx-size", Integer.toString(ctxSize));
    }
}
