package dev.tandem.bench;

import dev.tandem.core.DType;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code ./tandem bench matmul [--threads 2] [--mib 2048] [--cols 4096] [--rows 1] [--dtypes F32,Q8_0,...]}: runs
 * {@link MemoryBandwidthBenchmark} and {@link MatmulBandwidthBenchmark} in one JMH run and prints each
 * weight type's GB/s as a fraction of the bandwidth measured alongside.
 */
@Command(name = "matmul", mixinStandardHelpOptions = true,
        description = "JMH: matmul GB/s per weight type against the memory bandwidth measured alongside.")
final class MatmulBandwidth implements Callable<Integer> {
    @Option(names = "--threads", paramLabel = "N", description = "Threads (default: ${DEFAULT-VALUE}).")
    String threads = "2";

    @Option(names = "--mib", paramLabel = "MIB", description = "Weight bytes per matrix, in MiB (default: ${DEFAULT-VALUE}).")
    String mib = "2048";

    @Option(names = "--cols", paramLabel = "N",
            description = "Columns per matrix, the activations' width; a multiple of 256 for the K-quants (default: ${DEFAULT-VALUE}; "
                    + "TinyLlama-1.1B's matrices have 2048, its feed-forward down projection 5632).")
    int cols = 4096;

    @Option(names = "--rows", paramLabel = "K", description = "Activation rows per matmul (default: ${DEFAULT-VALUE}).")
    String rows = "1";

    // the benchmark encodes its weights, so the types Tandem writes (every type with a vector kernel but IQ4_NL)
    @Option(names = "--dtypes", split = ",", paramLabel = "T[,T...]", description = "Weight types (default: every type Tandem writes).")
    String[] dtypes = java.util.Arrays.stream(DType.values()).filter(DType::writable)
            .map(DType::name).toArray(String[]::new);

    @Option(names = "--jmh-iterations", paramLabel = "N", description = "JMH warm-up and measurement iterations (default: JMH's).")
    Integer iterations;

    @Option(names = "--jmh-seconds", paramLabel = "S", description = "Seconds per JMH iteration (default: JMH's).")
    Long seconds;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws RunnerException {
        for (String t : dtypes) {
            int block = DType.parse(t).blockSize();
            if (cols <= 0 || cols % block != 0) {
                throw new ParameterException(spec.commandLine(),
                        "--cols " + cols + ": " + t + " stores " + block + " values a block, so a row's columns must be a positive multiple of " + block);
            }
        }
        ChainedOptionsBuilder opt = new OptionsBuilder()
                .include(MemoryBandwidthBenchmark.class.getSimpleName())
                .include(MatmulBandwidthBenchmark.class.getSimpleName())
                .param("threads", threads).param("mib", mib).param("cols", String.valueOf(cols)).param("rows", rows).param("dtype", dtypes);
        if (iterations != null) {
            opt = opt.warmupIterations(iterations).measurementIterations(iterations);
        }
        if (seconds != null) {
            TimeValue t = TimeValue.seconds(seconds);
            opt = opt.warmupTime(t).measurementTime(t);
        }
        System.out.println("machine: " + MachineInfo.describe());
        Collection<RunResult> results = new Runner(opt.build()).run();
        long bytes = Long.parseLong(mib) << 20;
        double triad = 0, read = 0;
        List<String[]> table = new ArrayList<>();
        for (RunResult r : results) {
            String name = r.getParams().getBenchmark();
            double ms = r.getPrimaryResult().getScore();
            if (name.endsWith(".triad")) {
                triad = 3.0 * bytes / (ms / 1e3) / 1e9;
            } else if (name.endsWith(".read")) {
                read = bytes / (ms / 1e3) / 1e9;
            }
        }
        for (RunResult r : results) {
            if (!r.getParams().getBenchmark().endsWith(".matmul")) {
                continue;
            }
            DType type = DType.parse(r.getParams().getParam("dtype"));
            double ms = r.getPrimaryResult().getScore();
            long wbytes = MatmulBandwidthBenchmark.matrixRows(type, Integer.parseInt(mib), cols) * type.byteSize(cols);
            double gbs = wbytes / (ms / 1e3) / 1e9;
            table.add(new String[] {type.toString(), fmt(ms, 2), fmt(gbs, 1), pct(gbs / triad), pct(gbs / read)});
        }
        System.out.printf(Locale.ROOT, "%n%s threads, %s rows, %s MiB of weights per matrix (%s columns)%n", threads, rows, mib, cols);
        System.out.printf(Locale.ROOT, "memory bandwidth in the same run: triad %.1f GB/s, read %.1f GB/s%n%n", triad, read);
        System.out.println("| weights | ms per matmul | GB/s | of triad | of read |");
        System.out.println("|---|---:|---:|---:|---:|");
        for (String[] row : table) {
            System.out.println("| " + String.join(" | ", row) + " |");
        }
        return 0;
    }

    private static String fmt(double v, int digits) {
        return String.format(Locale.ROOT, "%." + digits + "f", v);
    }

    private static String pct(double v) {
        return String.format(Locale.ROOT, "%.0f%%", 100 * v);
    }
}
