package dev.tandem.bench;

import dev.tandem.models.Model;
import dev.tandem.models.Tokenizer;
import dev.tandem.models.tokenizer.Tokenizers;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The report's decode table: greedy stories260K on 1 thread, 255 tokens from BOS, and, given llama2.c's
 * {@code run} binary, the reference alternated with it round by round ({@code run -n 256 -t 0}, its own
 * "achieved tok/s", median of 21 runs a round), with the machine in the caption.
 */
final class DecodeReport {
    private static final Pattern ACHIEVED = Pattern.compile("achieved tok/s: ([0-9.]+)");

    private DecodeReport() {}

    static void write(Path dir, ModelOption model, Path llama2c, int rounds) throws IOException, InterruptedException {
        Path modelPath = model.path;
        double[] tandem = new double[rounds];
        double[] reference = llama2c == null ? null : new double[rounds];
        try (Model m = model.load()) {
            Tokenizer tokenizer = Tokenizers.forModel(m, null);
            for (int r = 0; r < rounds; r++) {
                if (reference != null) {
                    reference[r] = llama2cTokensPerSecond(llama2c, modelPath);
                }
                tandem[r] = ArThroughput.measure(m, tokenizer, new int[] {1}, 255, r == 0 ? 5 : 1, 21).get(0).medianTokensPerSecond();
                System.out.printf(Locale.ROOT, "decode round %d/%d: Tandem %.0f tok/s%s%n", r + 1, rounds, tandem[r],
                        reference == null ? "" : String.format(Locale.ROOT, ", llama2.c %.0f tok/s", reference[r]));
            }
        }
        String caption = String.format(Locale.ROOT, "Greedy decode of %s, 1 thread, 255 tokens from BOS; medians of %d alternated rounds. "
                + "Machine: %s.", modelPath.getFileName(), rounds, MachineInfo.describe());
        Tables.write(dir, "decode", caption, List.of("", "tokens/s"), rows(tandem, reference));
    }

    /** The table's rows: Tandem's median, and with a reference its median and the ratio. */
    static List<List<String>> rows(double[] tandem, double[] reference) {
        List<List<String>> rows = new ArrayList<>();
        double t = median(tandem);
        rows.add(List.of("Tandem, 1 thread", String.format(Locale.ROOT, "%,.0f", t)));
        if (reference != null) {
            double l = median(reference);
            rows.add(List.of("llama2.c run.c (gcc -Ofast -march=native), 1 thread", String.format(Locale.ROOT, "%,.0f", l)));
            rows.add(List.of("Tandem / llama2.c", String.format(Locale.ROOT, "**%.2f**", t / l)));
        }
        return rows;
    }

    static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }

    private static double llama2cTokensPerSecond(Path run, Path model) throws IOException, InterruptedException {
        Path tokenizer = model.resolveSibling("tok512.bin");
        double[] v = new double[21];
        for (int i = 0; i < v.length; i++) {
            Process p = new ProcessBuilder(run.toString(), model.toString(), "-z", tokenizer.toString(), "-t", "0", "-n", "256")
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
            p.waitFor();
            Matcher m = ACHIEVED.matcher(err);
            if (!m.find()) {
                throw new IllegalStateException(run + " printed no \"achieved tok/s\" (is it llama2.c's run?): " + err.strip());
            }
            v[i] = Double.parseDouble(m.group(1));
        }
        return median(v);
    }
}
