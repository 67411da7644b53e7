package dev.tandem.bench;

import dev.tandem.core.cpu.CpuBackend;
import dev.tandem.models.Batch;
import dev.tandem.models.Model;
import dev.tandem.models.Transformer;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * The verification cost curve: the time of one forward pass over k new tokens (a chain on top of a
 * 128-token context) divided by the time of a forward pass over one token, k = 1..64. Speculation pays
 * when the accepted length exceeds this ratio.
 */
@Command(name = "verify-cost", mixinStandardHelpOptions = true, description = "The cost of a k-row forward pass relative to one row.")
public final class VerifyCost implements Callable<Integer> {
    @Mixin
    ModelOption model;

    @Option(names = "--threads", split = ",", paramLabel = "N[,N...]", description = "Thread counts (default: 1).")
    int[] threadCounts = {1};

    @Option(names = "--context", paramLabel = "N", description = "Tokens already in the KV cache (default: ${DEFAULT-VALUE}).")
    int context = 128;

    @Option(names = "--ks", split = ",", paramLabel = "K[,K...]", description = "Row counts, starting with 1 (default: 1,2,4,8,16,32,64).")
    int[] ks = {1, 2, 4, 8, 16, 32, 64};

    @Option(names = "--reps", paramLabel = "N", description = "Forward passes per row count, median taken (default: ${DEFAULT-VALUE}).")
    int reps = 200;

    @Mixin
    ReportDirOption reportDir;

    /** Parses {@code args} and runs (for callers in the same JVM; errors propagate). */
    public static void main(String[] args) throws Exception {
        Main.run(new VerifyCost(), args);
    }

    @Override
    public Integer call() {
        if (ks[0] != 1) {
            throw new IllegalArgumentException("--ks must start with 1 (costs are given relative to one row)");
        }
        System.out.println("machine: " + MachineInfo.describe());
        java.util.List<double[]> curves = new java.util.ArrayList<>();
        String name = "";
        for (int threads : threadCounts) {
            double[] median = measure(model, threads, context, reps, ks);
            curves.add(median);
            name = model.path.getFileName().toString().replaceFirst("\\.[^.]*$", "");
            System.out.printf(Locale.ROOT, "verification cost, %s, %d threads, %d-token context (median of %d)%n", name, threads, context, reps);
            System.out.println("| rows k | µs per forward | cost / 1 row |");
            System.out.println("|---:|---:|---:|");
            for (int i = 0; i < ks.length; i++) {
                System.out.printf(Locale.ROOT, "| %d | %.1f | %.2f |%n", ks[i], median[i] / 1e3, median[i] / median[0]);
            }
        }
        if (reportDir.orNull() != null) {
            VerifyCostReport.write(reportDir.orNull(), name, context, ks, threadCounts, curves);
        }
        return 0;
    }

    private static double[] measure(ModelOption option, int threads, int context, int reps, int[] ks) {
        try (Model model = option.load(); CpuBackend backend = new CpuBackend(threads)) {
            Transformer t = new Transformer(model, backend, 64);
            int[] prefix = new int[context];
            Arrays.fill(prefix, 5);
            for (int s = 0; s < context; s += 64) {
                int n = Math.min(64, context - s);
                t.forward(Batch.chain(Arrays.copyOf(prefix, n)));
                t.cache().commitChain(n);
            }
            double[] median = new double[ks.length];
            for (int round = 0; round < 3; round++) { // the first rounds warm the JIT up
                for (int i = 0; i < ks.length; i++) {
                    int[] tokens = new int[ks[i]];
                    Arrays.fill(tokens, 7);
                    Batch batch = Batch.chain(tokens);
                    double[] times = new double[reps];
                    for (int r = 0; r < reps; r++) {
                        long t0 = System.nanoTime();
                        t.forward(batch);
                        times[r] = System.nanoTime() - t0;
                    }
                    Arrays.sort(times);
                    median[i] = times[reps / 2];
                }
            }
            return median;
        }
    }
}
