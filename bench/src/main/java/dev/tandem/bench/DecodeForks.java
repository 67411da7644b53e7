package dev.tandem.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.openjdk.jmh.results.BenchmarkResult;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;

/**
 * {@code tandem bench decode-forks [--forks 5] [--threads 1]}: the JMH decode benchmark
 * ({@link ArDecodeBenchmark}) in several JVM forks, one line per fork and the spread between forks. C2's
 * code for Vector API kernels is decided once per JVM; a bad decision (a helper left out-of-line, its
 * vectors boxed) makes one fork several times slower than the others, which a mean over all iterations
 * hides and this table shows.
 */
public final class DecodeForks {
    /** A fork this much slower than the fastest one is called out as a different JIT outcome. */
    static final double BIMODAL_RATIO = 1.3;

    private DecodeForks() {}

    public static void main(String[] args) throws Exception {
        int forks = Integer.parseInt(ArThroughput.arg(args, "--forks", "5"));
        String threads = ArThroughput.arg(args, "--threads", "1");
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
