package dev.tandem.bench;

import dev.tandem.core.TandemException;
import dev.tandem.core.cpu.CpuBackend;
import dev.tandem.decoding.AutoregressiveGenerator;
import dev.tandem.decoding.GenerationRequest;
import dev.tandem.decoding.GenerationResult;
import dev.tandem.decoding.SamplingParams;
import dev.tandem.decoding.TokenStream;
import dev.tandem.models.Model;
import dev.tandem.models.Tokenizer;
import dev.tandem.models.Transformer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * End-to-end harness: greedy autoregressive decoding tokens/s on a model, per thread count, after the JVM
 * has warmed up. Each measured run decodes {@code tokens} tokens from BOS (as llama2.c's
 * {@code run -n tokens+1 -t 0} does) and the median of the runs is reported with its spread.
 */
@Command(name = "ar", mixinStandardHelpOptions = true,
        description = "Greedy autoregressive decode tokens/s per thread count, after a JIT warm-up (medians of runs).")
public final class ArThroughput implements Callable<Integer> {
    @Mixin
    ModelOption model;

    @Mixin
    TokenizerOption tokenizer;

    @Option(names = "--threads", split = ",", paramLabel = "N[,N...]", description = "Thread counts, measured in turn (default: 1,2).")
    int[] threads = {1, 2};

    @Option(names = "--tokens", paramLabel = "N", description = "Tokens decoded from BOS per run (default: ${DEFAULT-VALUE}).")
    int tokens = 255;

    @Option(names = "--runs", paramLabel = "N", description = "Measured runs per thread count (default: ${DEFAULT-VALUE}).")
    int runs = 21;

    @Mixin
    WarmupOption warmup = new WarmupOption(5);

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

    /** Parses {@code args} and runs (for callers in the same JVM; errors propagate). */
    public static void main(String[] args) throws Exception {
        Main.run(new ArThroughput(), args);
    }

    @Override
    public Integer call() {
        try (Model m = model.load()) {
            Tokenizer tokenizer = this.tokenizer.forModel(m);
            int context = m.config().contextLength();
            if (tokens < 1 || tokens + 1 > context) {
                throw new TandemException("--tokens " + tokens + " does not fit " + model.path.getFileName() + ": BOS and the tokens "
                        + "must fit its context of " + context + " tokens; ask for 1 to " + (context - 1));
            }
            double gb = m.weights().bytesPerToken(m.config().layers()) / 1e9;
            System.out.printf(Locale.ROOT, "AR greedy decode, %s, %d tokens from BOS, %d runs after %.0f s warm-up; %.3f GB of weights read per token%n",
                    m.name(), tokens, runs, warmup.seconds, gb);
            System.out.println("machine: " + MachineInfo.describe());
            System.out.println("| threads | tokens/s (median) | min | max | weight GB/s |");
            System.out.println("|---:|---:|---:|---:|---:|");
            for (Figure f : measure(m, tokenizer, threads, tokens, warmup.seconds, runs)) {
                System.out.printf(Locale.ROOT, "| %d | %.2f | %.2f | %.2f | %.1f |%n", f.threads(), f.medianTokensPerSecond(),
                        f.minTokensPerSecond(), f.maxTokensPerSecond(), f.medianTokensPerSecond() * gb);
            }
        }
        return 0;
    }
}
