package dev.tandem.bench;

import java.nio.file.Path;
import picocli.CommandLine.Option;

/** {@code --tokenizer}, declared once for every benchmark that may take a tokenizer other than its model's. */
final class TokenizerOption {
    /** Null when not given: the model's own tokenizer (GGUF), else the one beside it. */
    @Option(names = "--tokenizer", paramLabel = "PATH", description = "Tokenizer (default: the model's own, else beside it).")
    Path path;
}
