package dev.tandem.bench;

import dev.tandem.api.Engine;
import dev.tandem.models.Model;
import dev.tandem.models.Tokenizer;
import dev.tandem.models.tokenizer.Tokenizers;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** {@code --tokenizer}, declared once for every benchmark that may take a tokenizer other than its model's. */
final class TokenizerOption {
    /** Null when not given: the model's own tokenizer (GGUF), else the one beside it. */
    @Option(names = "--tokenizer", paramLabel = "PATH", description = "Tokenizer (default: the model's own, else beside it).")
    Path path;

    /** The tokenizer for {@code model}: the one given, else its own or the one beside it. */
    Tokenizer forModel(Model model) {
        return Tokenizers.forModel(model, path);
    }

    /** {@code builder} with the tokenizer given; untouched when none was (the engine then finds the model's). */
    Engine.Builder applyTo(Engine.Builder builder) {
        return path == null ? builder : builder.tokenizer(path);
    }
}
