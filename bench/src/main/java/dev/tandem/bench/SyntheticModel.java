package dev.tandem.bench;

import dev.tandem.models.LlamaConfig;
import dev.tandem.models.Llama2cWriter;
import java.nio.file.Path;

/**
 * {@code ./tandem bench synthetic-model --out FILE}: a llama2.c model with seeded random weights in a wider
 * shape (default dim 1024, 8 layers, hidden 2816, 16 heads, vocabulary 512 so that stories260K's tokenizer
 * fits), about 400 MB of F32 weights: too big for the caches, so each forward pass is bound by reading
 * its weights, the case batching is built for. Its text is meaningless; its speed is real.
 */
public final class SyntheticModel {
    private SyntheticModel() {}

    public static void main(String[] args) {
        Path out = Path.of(ArThroughput.arg(args, "--out", "synthetic-wide.bin"));
        int dim = Integer.parseInt(ArThroughput.arg(args, "--dim", "1024"));
        int layers = Integer.parseInt(ArThroughput.arg(args, "--layers", "8"));
        int hidden = Integer.parseInt(ArThroughput.arg(args, "--hidden", "2816"));
        int heads = Integer.parseInt(ArThroughput.arg(args, "--heads", "16"));
        LlamaConfig c = new LlamaConfig(dim, hidden, layers, heads, heads, 512, 512, 1e-5f, 10000f, true);
        Llama2cWriter.writeRandom(out, c, 42, 0.02f);
        System.out.println("wrote " + out + " (" + out.toFile().length() / (1 << 20) + " MiB)");
    }
}
