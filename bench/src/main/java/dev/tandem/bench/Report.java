package dev.tandem.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code ./tandem bench report --out DIR [--llama2c PATH]}: runs the decode table (against llama2.c's run.c
 * when its path is given), the verification cost curve, the method table (greedy and T = 0.8) and the server
 * load test, each writing Markdown + CSV + PNG into DIR, then DIR/report.md, one
 * page that shows them all (docs/MEASUREMENTS.md embeds the same files).
 */
public final class Report {
    private Report() {}

    public static void main(String[] args) throws Exception {
        Path out = Path.of(ArThroughput.arg(args, "--out", "docs/report"));
        String model = ArThroughput.arg(args, "--model", BenchPaths.defaultModel().toString());
        String rounds = ArThroughput.arg(args, "--rounds", "3");
        String heads = ArThroughput.arg(args, "--heads-dir", "");
        String only = ArThroughput.arg(args, "--only", "decode,verify-cost,methods,load");
        String llama2c = ArThroughput.arg(args, "--llama2c", null);
        Files.createDirectories(out);
        if (only.contains("decode")) {
            DecodeReport.write(out, Path.of(model), llama2c == null ? null : Path.of(llama2c), Integer.parseInt(rounds));
        }
        if (only.contains("verify-cost")) {
            VerifyCost.main(new String[] {"--model", model, "--threads", "1,2", "--report-dir", out.toString()});
        }
        if (only.contains("methods")) {
            List<String> a = new ArrayList<>(List.of("--model", model, "--rounds", rounds, "--report-dir", out.toString()));
            if (!heads.isEmpty()) {
                a.addAll(List.of("--heads-dir", heads));
            }
            MethodTable.main(a.toArray(String[]::new));
        }
        if (only.contains("load")) {
            LoadBench.main(new String[] {"--model", model, "--rounds", rounds, "--report-dir", out.toString()});
        }
        writeIndex(out);
        System.out.println("report: " + out.resolve("report.md"));
    }

    static void writeIndex(Path dir) throws IOException {
        StringBuilder md = new StringBuilder("# Tandem bench report\n\nWritten by `./tandem bench report`; each table is also a CSV file beside it.\n");
        section(md, dir, "Decode speed", "decode");
        section(md, dir, "Verification cost", "verify-cost");
        section(md, dir, "Decoding methods, temperature 0", "methods-t0.0");
        section(md, dir, "Accepted draft tokens per step, temperature 0", "accepted-t0.0");
        section(md, dir, "Decoding methods, temperature 0.8", "methods-t0.8");
        section(md, dir, "Accepted draft tokens per step, temperature 0.8", "accepted-t0.8");
        section(md, dir, "Server under load", "load");
        section(md, dir, "One client, where the time goes", "load-one-client");
        section(md, dir, "A weight-bound model under load (synthetic, 394 MB)", "load-wide");
        section(md, dir, "A weight-bound model: one client", "load-wide-one-client");
        Files.writeString(dir.resolve("report.md"), md);
    }

    private static void section(StringBuilder md, Path dir, String title, String name) throws IOException {
        Path table = dir.resolve(name + ".md");
        if (!Files.exists(table)) {
            return;
        }
        md.append("\n## ").append(title).append("\n\n").append(Files.readString(table));
        if (Files.exists(dir.resolve(name + ".png"))) {
            md.append("\n![").append(title).append("](").append(name).append(".png)\n");
        }
    }
}
