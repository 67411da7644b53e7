package dev.tandem.bench;

import java.nio.file.Path;
import picocli.CommandLine.Option;

/** {@code --model}, declared once for every benchmark that loads one model. */
final class ModelOption {
    @Option(names = "--model", paramLabel = "PATH", description = "Model (default: stories260K beside the checkout).")
    Path path = BenchPaths.defaultModel();
}
