package dev.tandem.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tandem.core.TandemException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class MainTest {
    record Run(int code, String out, String err) {}

    static final Path STORIES = Path.of(System.getProperty("tandem.shared", "../shared"), "models/stories260k/stories260K.bin");

    /** {@link #run} for benchmarks that print their table to System.out: {@code out} is what they printed there. */
    static Run runPrintingTable(String... args) {
        java.io.ByteArrayOutputStream table = new java.io.ByteArrayOutputStream();
        java.io.PrintStream stdout = System.out;
        System.setOut(new java.io.PrintStream(table, true, java.nio.charset.StandardCharsets.UTF_8));
        try {
            Run r = run(args);
            return new Run(r.code(), table.toString(java.nio.charset.StandardCharsets.UTF_8), r.err());
        } finally {
            System.setOut(stdout);
        }
    }

    private static Run run(String... args) {
        CommandLine cl = Main.commandLine();
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        int code = cl.execute(args);
        return new Run(code, out.toString(), err.toString());
    }

    @Test
    void everyBenchmarkIsACommandThatRefusesOptionsItDoesNotRead() {
        assertEquals(Set.of("compare", "ar", "methods", "verify-cost", "load", "soak", "matmul", "tokenize", "decode-forks", "prefill-stall", "fuzz",
                "report", "cuda-check", "tokenize-vs-reference"), Main.commandLine().getSubcommands().keySet());
        Run typo = run("ar", "--tokns", "24");
        assertEquals(2, typo.code());
        assertTrue(typo.err().contains("Unknown option") && typo.err().contains("'--tokns'"), typo.err());
        Run bad = run("verify-cost", "--ks", "1,two");
        assertEquals(2, bad.code());
        assertTrue(bad.err().contains("--ks"), bad.err());
        assertEquals(2, run("nonsense").code());
    }

    @Test
    void methodsTakesGeneratesMethodFlags() {
        Run refused = run("methods", "--method", "lookup", "--tree-budget", "6");
        assertTrue(refused.code() != 0 && refused.err().contains("--tree-budget does not apply to --method lookup"), refused.err());
        // without --method the table's configurations are fixed: a setting would be ignored, so it is refused
        Run ignored = run("methods", "--model", STORIES.toString(),
                "--ngram-table", "some.ngram", "--rounds", "1", "--tokens", "8", "--warmup-seconds", "0", "--temperatures", "0");
        assertTrue(ignored.code() != 0 && ignored.err().contains("method settings (--ngram-table some.ngram) apply to one method"), ignored.err());
        Run one = runPrintingTable("methods", "--model", STORIES.toString(),
                "--method", "lookup", "--max-ngram", "2", "--lookup-candidates", "2", "--tokens", "8",
                "--rounds", "1", "--warmup-seconds", "0", "--temperatures", "0");
        String out = one.out();
        assertEquals(0, one.code(), one.err() + out);
        // ar and the one configuration the flags describe, nothing else
        assertTrue(out.contains("| ar | 1.00 |") && out.contains("| lookup (--max-ngram 2 --lookup-candidates 2) |"), out);
        assertEquals(2, out.lines().filter(l -> l.startsWith("| ") && !l.startsWith("| method")).count(), out);
    }

    @Test
    void prefillStallComparesChunkSizesRoundByRound() {
        Run r = runPrintingTable("prefill-stall", "--model", STORIES.toString(), "--prefill-chunks", "64,4", "--decoders", "2",
                "--prompt-tokens", "60", "--decode-tokens", "40", "--rounds", "1", "--warmup-seconds", "0.2");
        String out = r.out();
        assertEquals(0, r.code(), r.err() + out);
        assertTrue(out.contains("2 decoders, a 60-token prompt arriving"), out);
        assertTrue(out.lines().anyMatch(l -> l.startsWith("| 64 | ")) && out.lines().anyMatch(l -> l.startsWith("| 4 | ")), out);
        Run tooLong = run("prefill-stall", "--model", STORIES.toString(), "--prompt-tokens", "600", "--rounds", "1", "--warmup-seconds", "0");
        assertTrue(tooLong.code() != 0 && tooLong.err().contains("--prompt-tokens 600"), tooLong.err());
    }

    @Test
    void everyBenchmarkThatLoadsAModelTakesTheContextSizeAsGenerateDoes() {
        // a model too large for the heap at its own context is told to pass --ctx-size: each of these takes it, and a
        // 64-position cache refuses work that needs more, naming that context
        String model = STORIES.toString();
        String[] ar = {"--model", model, "--ctx-size", "64", "--tokens", "80", "--runs", "1", "--warmup-seconds", "0"};
        TandemException e = assertThrows(TandemException.class, () -> ArThroughput.main(ar));
        assertTrue(e.getMessage().contains("context of 64 tokens"), e.getMessage());
        List<Run> refused = List.of(
                run("methods", "--model", model, "-c", "64", "--method", "lookup", "--tokens", "80", "--rounds", "1",
                        "--temperatures", "0", "--warmup-seconds", "0"),
                run("verify-cost", "--model", model, "--ctx-size", "64", "--context", "100", "--ks", "1", "--reps", "1"),
                run("load", "--model", model, "--ctx-size", "64", "--clients", "1", "--max-tokens", "100", "--requests", "1",
                        "--rounds", "1", "--warmup-seconds", "0"),
                run("prefill-stall", "--model", model, "--ctx-size", "64", "--prompt-tokens", "62", "--decode-tokens", "8",
                        "--rounds", "1", "--warmup-seconds", "0"));
        for (Run r : refused) {
            assertTrue(r.code() != 0 && r.err().matches("(?s).*context (length )?of 64\\b.*"), refused.indexOf(r) + " " + r.code() + ": " + r.err() + r.out());
        }
        // and within it they run: verify-cost over a 32-token context in a 64-position cache
        Run fits = runPrintingTable("verify-cost", "--model", model, "--ctx-size", "64", "--context", "32", "--ks", "1,2", "--reps", "1");
        assertEquals(0, fits.code(), fits.err());
        assertTrue(fits.out().contains("32-token context"), fits.out());
    }

    @Test
    void sharedOptionsKeepEachBenchmarksOwnDefault() {
        // --threads, --rounds and --warmup-seconds are declared once (ThreadsOption, RoundsOption, WarmupOption), and
        // --batch-wait-us and --prefill-chunk with serve (BatchFlags): picocli takes the instance a command constructs
        assertEquals(5.0, defaultOf("ar", "--warmup-seconds"));
        assertEquals(List.of(2, 3, 3.0, 2000L, 16), List.of(defaultOf("load", "--threads"), defaultOf("load", "--rounds"),
                defaultOf("load", "--warmup-seconds"), defaultOf("load", "--batch-wait-us"), defaultOf("load", "--prefill-chunk")));
        assertEquals(List.of(2, 3, 5.0), List.of(defaultOf("prefill-stall", "--threads"), defaultOf("prefill-stall", "--rounds"),
                defaultOf("prefill-stall", "--warmup-seconds")));
        assertEquals(List.of(2, 5, 5.0), List.of(defaultOf("methods", "--threads"), defaultOf("methods", "--rounds"),
                defaultOf("methods", "--warmup-seconds")));
        assertEquals(3, defaultOf("report", "--rounds"));
        String help = run("methods", "--help").out().replaceAll("\\s+", " "); // the help shows the command's own defaults
        assertTrue(help.contains("so that noise falls on all of them alike (default: 5).")
                && help.contains("JIT warm-up before measuring (default: 5.0)."), help);
    }

    /** {@code option}'s value when {@code command} is given no arguments. */
    private static Object defaultOf(String command, String option) {
        return Main.commandLine().parseArgs(command).subcommand().commandSpec().findOption(option).getValue();
    }

    @Test
    void matmulRefusesColumnsThatAreNotWholeBlocks() {
        Run bad = run("matmul", "--dtypes", "Q8_0,Q4_K", "--cols", "2080");
        assertEquals(2, bad.code());
        assertTrue(bad.err().contains("--cols 2080: Q4_K stores 256 values a block"), bad.err());
        assertEquals(2, run("matmul", "--cols", "0").code());
    }

    @Test
    void helpPrintsTheOptionsInsteadOfRunning() {
        Run help = run("ar", "--help");
        assertEquals(0, help.code());
        // only the help: a benchmark run would have printed its table
        assertTrue(help.out().startsWith("Usage: tandem bench ar ") && help.out().contains("--tokens=N")
                && !help.out().contains("tokens/s (median)"), help.out());
        Run compare = run("compare", "--help");
        assertTrue(compare.out().contains("BASE, then optionally HEAD") && compare.out().contains("--only"), compare.out());
    }

    @Test
    void moreTokensThanTheContextHoldsIsAClearError() {
        Path gguf = Path.of(System.getProperty("tandem.shared", "../shared"), "models/stories260k/stories260K-llamacpp.gguf");
        String[] args = {"--model", gguf.toString(), "--tokens", "255", "--runs", "1", "--warmup-seconds", "0"};
        TandemException e = assertThrows(TandemException.class, () -> ArThroughput.main(args));
        assertTrue(e.getMessage().contains("255") && e.getMessage().contains("128"), e.getMessage());
        String[] cli = new String[args.length + 1];
        cli[0] = "ar";
        System.arraycopy(args, 0, cli, 1, args.length);
        Run r = run(cli);
        assertEquals(1, r.code());
        assertTrue(r.err().startsWith("tandem bench ar: --tokens 255 does not fit") && r.err().strip().lines().count() == 1, r.err());
    }
}
