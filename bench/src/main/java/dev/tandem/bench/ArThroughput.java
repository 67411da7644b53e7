package dev.tandem.bench;

import dev.tandem.core.TandemException;
import dev.tandem.core.cpu.CpuBackend;
import dev.tandem.decoding.AutoregressiveGenerator;
import dev.tandem.decoding.GenerationRequest;
import dev.tandem.decoding.GenerationResult;
import dev.tandem.decoding.SamplingParams;
import dev.tandem.decoding.TokenStream;
import dev.tandem.models.Model;
import dev.tandem.models.ModelLoader;
import dev.tandem.models.Tokenizer;
import dev.tandem.models.Transformer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * End-to-end harness: greedy autoregressive decoding tokens/s on a model, per thread count, after the JVM
 * has warmed up. Each measured run decodes {@code tokens} tokens from BOS (as llama2.c's
 * {@code run -n tokens+1 -t 0} does) and the median of the runs is reported with its spread.
 */
public final class ArThroughput {
    private ArThroughput() {}

    public record Figure(int threads, double medianTokensPerSecond, double minTokensPerSecond, double maxTokensPerSecond, int runs) {}

    /**
     * Measures every thread count in turn, round-robin, so that JIT warm-up and machine noise fall on
     * all of them alike.
     */
    public static List<Figure> measure(Model model, Tokenizer tokenizer, int[] threads, int tokens, double warmupSeconds, int runs) {
        List<CpuBackend> backends = new ArrayList<>();
        try {
            List<AutoregressiveGenerator> generators = new ArrayList<>();
            for (int t : threads) {
                CpuBackend b = new CpuBackend(t);
                backends.add(b);
                generators.add(new AutoregressiveGenerator(new Transformer(model, b), tokenizer));
            }
            GenerationRequest request = new GenerationRequest(new int[] {tokenizer.bos()}, tokens, SamplingParams.GREEDY);
            long warmEnd = System.nanoTime() + (long) (warmupSeconds * 1e9);
            while (System.nanoTime() < warmEnd) {
                for (AutoregressiveGenerator g : generators) {
                    g.generate(request, TokenStream.NONE);
                }
            }
            double[][] tps = new double[threads.length][runs];
            for (int run = 0; run < runs; run++) {
                for (int c = 0; c < threads.length; c++) {
                    long t0 = System.nanoTime();
                    GenerationResult r = generators.get(c).generate(request, TokenStream.NONE);
                    tps[c][run] = r.tokens().length / ((System.nanoTime() - t0) / 1e9);
                }
            }
            List<Figure> figures = new ArrayList<>();
            for (int c = 0; c < threads.length; c++) {
                double[] v = tps[c];
                Arrays.sort(v);
                figures.add(new Figure(threads[c], v[runs / 2], v[0], v[runs - 1], runs));
            }
            return figures;
        } finally {
            backends.forEach(CpuBackend::close);
        }
    }

    public static void main(String[] args) {
        Path model = Path.of(arg(args, "--model", BenchPaths.defaultModel().toString()));
        String tokArg = arg(args, "--tokenizer", null);
        int tokens = Integer.parseInt(arg(args, "--tokens", "255"));
        double warmup = Double.parseDouble(arg(args, "--warmup-seconds", "5"));
        int runs = Integer.parseInt(arg(args, "--runs", "21"));
        int[] threads = ints(args, "--threads", "1,2");
        try (Model m = ModelLoader.load(model)) {
            Tokenizer tokenizer = dev.tandem.models.tokenizer.Tokenizers.forModel(m, tokArg == null ? null : Path.of(tokArg));
            int context = m.config().contextLength();
            if (tokens < 1 || tokens + 1 > context) {
                throw new TandemException("--tokens " + tokens + " does not fit " + model.getFileName() + ": BOS and the tokens "
                        + "must fit its context of " + context + " tokens; ask for 1 to " + (context - 1));
            }
            double gb = weightBytesPerToken(m) / 1e9;
            System.out.printf(Locale.ROOT, "AR greedy decode, %s, %d tokens from BOS, %d runs after %.0f s warm-up; %.3f GB of weights read per token%n",
                    m.name(), tokens, runs, warmup, gb);
            System.out.println("machine: " + MachineInfo.describe());
            System.out.println("| threads | tokens/s (median) | min | max | weight GB/s |");
            System.out.println("|---:|---:|---:|---:|---:|");
            for (Figure f : measure(m, tokenizer, threads, tokens, warmup, runs)) {
                System.out.printf(Locale.ROOT, "| %d | %.2f | %.2f | %.2f | %.1f |%n", f.threads(), f.medianTokensPerSecond(),
                        f.minTokensPerSecond(), f.maxTokensPerSecond(), f.medianTokensPerSecond() * gb);
            }
        }
    }

    /** Bytes of the matrices one decoded token reads: every layer's projections and the classifier. */
    static long weightBytesPerToken(Model m) {
        long bytes = m.weights().classifier().segment().byteSize();
        for (dev.tandem.models.LayerWeights l : m.weights().layers()) {
            for (dev.tandem.core.Tensor t : new dev.tandem.core.Tensor[] {l.wq(), l.wk(), l.wv(), l.wo(), l.w1(), l.w2(), l.w3()}) {
                bytes += t.segment().byteSize();
            }
        }
        return bytes;
    }

    /** A comma-separated list of whole numbers, e.g. {@code --threads 1,2}. */
    static int[] ints(String[] args, String name, String def) {
        return Arrays.stream(arg(args, name, def).split(",")).mapToInt(Integer::parseInt).toArray();
    }

    public static String arg(String[] args, String name, String def) {
        for (int i = 0; i + 1 < args.length; i++) {
            if (args[i].equals(name)) {
                return args[i + 1];
            }
        }
        return def;
    }
}
