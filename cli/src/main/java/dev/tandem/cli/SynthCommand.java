package dev.tandem.cli;

import dev.tandem.decoding.heads.PaddedHeads;
import dev.tandem.models.LlamaConfig;
import dev.tandem.models.Model;
import dev.tandem.models.convert.InflatedModel;
import dev.tandem.models.convert.QuantMix;
import dev.tandem.models.tokenizer.GgufTokenizers;
import dev.tandem.models.convert.SyntheticModel;
import dev.tandem.models.gguf.GgufWriter;
import java.nio.file.Path;
import java.util.Locale;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code tandem synth}: a seeded random-weight GGUF model in a real model's shape, for speed work. */
@Command(name = "synth", mixinStandardHelpOptions = true,
        description = {"Writes a model in the shape of a real one (GGUF), for benchmarks.",
                "Without --from its weights are seeded noise: the text it generates is meaningless.",
                "With --from it embeds that (smaller) model in the shape: the same predictions at the shape's cost",
                "(e.g. stories260K's tokens at TinyLlama-1.1B's speed), so drafters meet real acceptance at real cost."})
final class SynthCommand extends TandemCommand {
    @Option(names = "--shape", required = true, paramLabel = "NAME",
            description = "tinyllama-1.1b, llama2-7b, llama3-8b, qwen2.5-0.5b, llama3.2-1b, mistral-7b (each in its family's file layout), "
                    + "wide (394 MB in F32: weight-bound, for batching), tiny (a test-sized model) or mini (a test-sized target for --from).")
    String shape;

    @Option(names = "--dtype", defaultValue = "q8_0", paramLabel = "TYPE", completionCandidates = DTypeNames.class,
            description = "${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}).")
    String dtype;

    @Option(names = "--out", required = true, paramLabel = "FILE.gguf", description = "Output file.")
    Path out;

    @Option(names = "--seed", defaultValue = "1", description = "Random seed (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--from", paramLabel = "MODEL", description = "A smaller model to inflate to the shape (any format the engine loads).")
    Path from;

    @Option(names = "--tokenizer", paramLabel = "PATH", description = "Tokenizer of --from when it carries none (llama2.c .bin; default: tok512.bin beside it).")
    Path tokenizer;

    @Option(names = "--heads", paramLabel = "IN", description = "A heads or hidden-transfer file trained on --from, padded to the shape as well.")
    Path heads;

    @Option(names = "--heads-out", paramLabel = "OUT", description = "Where the padded --heads file goes.")
    Path headsOut;

    @Override
    Integer run() {
        QuantMix type = QuantMix.parse(dtype);
        if ((heads == null) != (headsOut == null) || (heads != null && from == null)) {
            throw new picocli.CommandLine.ParameterException(new picocli.CommandLine(this),
                    "--heads and --heads-out go together, and with --from (the model the heads were trained on)");
        }
        if (from != null) {
            return inflate(type);
        }
        LlamaConfig c = SyntheticModel.shape(shape);
        GgufWriter w = SyntheticModel.plan(shape, type, seed);
        long total = w.tensorBytes();
        ProgressBar bar = new ProgressBar(stderr, "synth ");
        long t0 = System.nanoTime();
        w.write(out, done -> bar.show((double) done / total, String.format(Locale.ROOT, "%.2f / %.2f GB", done / 1e9, total / 1e9)));
        bar.done();
        stdout.printf(Locale.ROOT, "wrote %s: %s shape (dim %d, %d layers, %d heads / %d kv, vocab %d), %s, %.2f GB in %.1f s%n",
                out, shape, c.dim(), c.layers(), c.heads(), c.kvHeads(), c.vocabSize(), type, total / 1e9, (System.nanoTime() - t0) / 1e9);
        stdout.println("note: random weights; use it for speed measurements only");
        return 0;
    }

    private Integer inflate(QuantMix type) {
        ModelOptions source = new ModelOptions();
        source.model = from;
        source.tokenizer = tokenizer;
        long t0 = System.nanoTime();
        try (Model small = source.loadModel()) {
            LlamaConfig big = InflatedModel.config(small.config(), SyntheticModel.shape(shape));
            GgufWriter w = InflatedModel.plan(small, GgufTokenizers.toMetadata(source.loadTokenizer(small)), shape,
                    SyntheticModel.shape(shape), type, seed);
            long total = w.tensorBytes();
            ProgressBar bar = new ProgressBar(stderr, "synth ");
            w.write(out, done -> bar.show((double) done / total, String.format(Locale.ROOT, "%.2f / %.2f GB", done / 1e9, total / 1e9)));
            bar.done();
            stdout.printf(Locale.ROOT, "wrote %s: %s inflated to the %s shape (dim %d, %d layers, %d heads / %d kv, vocab %d), %s, %.2f GB in %.1f s%n",
                    out, small.name(), shape, big.dim(), big.layers(), big.heads(), big.kvHeads(), big.vocabSize(), type, total / 1e9,
                    (System.nanoTime() - t0) / 1e9);
            stdout.println("note: it predicts what " + small.name() + " predicts, at the cost of a " + shape + " model");
            if (heads != null) {
                String kind = PaddedHeads.write(heads, headsOut, small.config(), big);
                stdout.printf(Locale.ROOT, "wrote %s: %s padded to dim %d%n", headsOut, kind, big.dim());
            }
        }
        return 0;
    }
}
