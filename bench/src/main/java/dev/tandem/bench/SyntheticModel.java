package dev.tandem.bench;

import dev.tandem.models.LlamaConfig;
import dev.tandem.models.Llama2cWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code ./tandem bench synthetic-model --out FILE}: a llama2.c model with seeded random weights in a wider
 * shape (default dim 1024, 8 layers, hidden 2816, 16 heads, vocabulary 512 so that stories260K's tokenizer
 * fits), about 400 MB of F32 weights: too big for the caches, so each forward pass is bound by reading
 * its weights, the case batching is built for. Its text is meaningless; its speed is real.
 */
@Command(name = "synthetic-model", mixinStandardHelpOptions = true,
        description = "Writes a llama2.c model with seeded random weights in a wide shape (its speed is real, its text is not).")
public final class SyntheticModel implements Callable<Integer> {
    @Option(names = "--out", paramLabel = "FILE", description = "Output file (default: ${DEFAULT-VALUE}).")
    Path out = Path.of("synthetic-wide.bin");

    @Option(names = "--dim", paramLabel = "N", description = "Residual width (default: ${DEFAULT-VALUE}).")
    int dim = 1024;

    @Option(names = "--layers", paramLabel = "N", description = "Layers (default: ${DEFAULT-VALUE}).")
    int layers = 8;

    @Option(names = "--hidden", paramLabel = "N", description = "Feed-forward width (default: ${DEFAULT-VALUE}).")
    int hidden = 2816;

    @Option(names = "--heads", paramLabel = "N", description = "Attention heads (default: ${DEFAULT-VALUE}).")
    int heads = 16;

    @Override
    public Integer call() {
        LlamaConfig c = new LlamaConfig(dim, hidden, layers, heads, heads, 512, 512, 1e-5f, 10000f, true);
        Llama2cWriter.writeRandom(out, c, 42, 0.02f);
        System.out.println("wrote " + out + " (" + out.toFile().length() / (1 << 20) + " MiB)");
        return 0;
    }
}
