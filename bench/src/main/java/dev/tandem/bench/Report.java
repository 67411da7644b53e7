package dev.tandem.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code ./tandem bench report --out DIR [--llama2c PATH]}: runs the decode table (against llama2.c's run.c
 * when its path is given), the verification cost curve, the method table (greedy and T = 0.8) and the server
 * load test, each writing Markdown + CSV + PNG into DIR, then DIR/report.md, one
 * page that shows them all (docs/MEASUREMENTS.md embeds the same files).
 */
@Command(name = "report", mixinStandardHelpOptions = true,
        description = "Runs the decode table, verification cost, method table and load test; writes Markdown + CSV + PNG and an index.")
public final class Report implements Callable<Integer> {
    @Option(names = "--out", paramLabel = "DIR", description = "Report folder (default: ${DEFAULT-VALUE}).")
    Path out = Path.of("docs/report");

    @Mixin
    ModelOption model;

    /** Passed on as each benchmark's own --rounds. */
    @Mixin
    RoundsOption rounds = new RoundsOption(3);

    @Option(names = "--heads-dir", paramLabel = "DIR", description = "Trained heads for the method table.")
    String heads = "";

    @Option(names = "--only", paramLabel = "PART[,PART...]", description = "Parts to run (default: ${DEFAULT-VALUE}).")
    String only = "decode,verify-cost,methods,load";

    @Option(names = "--llama2c", paramLabel = "PATH", description = "llama2.c's run binary, for the decode table's reference row.")
    String llama2c;

    @Override
    public Integer call() throws Exception {
        Files.createDirectories(out);
        if (only.contains("decode")) {
            DecodeReport.write(out, model, llama2c == null ? null : Path.of(llama2c), rounds.count);
        }
        if (only.contains("verify-cost")) {
            List<String> v = new ArrayList<>(model.args());
            v.addAll(List.of("--threads", "1,2", "--report-dir", out.toString()));
            VerifyCost.main(v.toArray(String[]::new));
        }
        if (only.contains("methods")) {
            List<String> a = new ArrayList<>(model.args());
            a.addAll(List.of("--rounds", Integer.toString(rounds.count), "--report-dir", out.toString()));
            if (!heads.isEmpty()) {
                a.addAll(List.of("--heads-dir", heads));
            }
            MethodTable.main(a.toArray(String[]::new));
        }
        if (only.contains("load")) {
            List<String> l = new ArrayList<>(model.args());
            l.addAll(List.of("--rounds", Integer.toString(rounds.count), "--report-dir", out.toString()));
            LoadBench.main(l.toArray(String[]::new));
        }
        writeIndex(out);
        System.out.println("report: " + out.resolve("report.md"));
        return 0;
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
