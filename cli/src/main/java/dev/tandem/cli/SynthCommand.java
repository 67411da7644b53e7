package dev.tandem.cli;

import dev.tandem.core.DType;
import dev.tandem.models.LlamaConfig;
import dev.tandem.models.convert.SyntheticModel;
import dev.tandem.models.gguf.GgufWriter;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code tandem synth}: a seeded random-weight GGUF model in a real model's shape, for speed work. */
@Command(name = "synth", mixinStandardHelpOptions = true,
        description = {"Writes a random-weight model in the shape of a real one (GGUF), for benchmarks.",
                "Its weights are seeded noise: the text it generates is meaningless."})
final class SynthCommand implements Callable<Integer>, Main.Streams {
    @Option(names = "--shape", required = true, paramLabel = "NAME",
            description = "tinyllama-1.1b, llama2-7b, llama3-8b, or tiny (a test-sized model).")
    String shape;

    @Option(names = "--dtype", defaultValue = "q8_0", paramLabel = "TYPE", description = "f32, f16, bf16, q8_0 or q4_0 (default: ${DEFAULT-VALUE}).")
    String dtype;

    @Option(names = "--out", required = true, paramLabel = "FILE.gguf", description = "Output file.")
    Path out;

    @Option(names = "--seed", defaultValue = "1", description = "Random seed (default: ${DEFAULT-VALUE}).")
    long seed;

    private PrintStream stdout = System.out;
    private PrintStream stderr = System.err;

    @Override
    public void streams(PrintStream out, PrintStream err) {
        this.stdout = out;
        this.stderr = err;
    }

    @Override
    public Integer call() {
        DType type = DType.parse(dtype);
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
}
