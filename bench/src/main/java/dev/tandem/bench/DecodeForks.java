package dev.tandem.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.openjdk.jmh.results.BenchmarkResult;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code tandem bench decode-forks [--forks 5] [--threads 1]}: the JMH decode benchmark
 * ({@link ArDecodeBenchmark}) in several JVM forks, one line per fork and the spread between forks. C2's
 * code for Vector API kernels is decided once per JVM; a bad decision (a helper left out-of-line, its
 * vectors boxed) makes one fork several times slower than the others, which a mean over all iterations
 * hides and this table shows.
 */
@Command(name = "decode-forks", mixinStandardHelpOptions = true,
        description = "The JMH decode benchmark in several JVM forks: one line per fork and the spread between them.")
public final class DecodeForks implements Callable<Integer> {
    /** A fork this much slower than the fastest one is called out as a different JIT outcome. */
    static final double BIMODAL_RATIO = 1.3;

    @Option(names = "--forks", paramLabel = "N", description = "JVM forks (default: ${DEFAULT-VALUE}).")
    int forks = 5;

    @Option(names = "--threads", paramLabel = "N", description = "Decode threads (default: ${DEFAULT-VALUE}).")
    String threads = "1";

    @Override
    public Integer call() throws Exception {
        Options opt = new OptionsBuilder().include(ArDecodeBenchmark.class.getSimpleName()).param("threads", threads)
                .forks(forks).build();
        List<Double> perFork = new ArrayList<>();
        for (RunResult r : new Runner(opt).run()) {
            for (BenchmarkResult b : r.getBenchmarkResults()) {
                perFork.add(b.getPrimaryResult().getScore());
            }
        }
        System.out.println();
        System.out.println("machine: " + MachineInfo.describe());
        System.out.print(table(perFork, threads));
        return 0;
    }

    static String table(List<Double> perFork, String threads) {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "AR decode of stories260K, %s thread(s), one JVM fork per row (JMH)%n", threads));
        sb.append("| fork | tokens/s |\n|---:|---:|\n");
        double min = Double.MAX_VALUE, max = 0;
        for (int i = 0; i < perFork.size(); i++) {
            double v = perFork.get(i);
            min = Math.min(min, v);
            max = Math.max(max, v);
            sb.append(String.format(Locale.ROOT, "| %d | %.0f |%n", i + 1, v));
        }
        double spread = max / min;
        sb.append(String.format(Locale.ROOT, "spread between forks: max/min = %.2f%s%n", spread,
                spread > BIMODAL_RATIO ? "  BIMODAL: some JVMs compiled the kernels differently" : ""));
        return sb.toString();
    }
}
