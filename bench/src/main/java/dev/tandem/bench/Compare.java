package dev.tandem.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/**
 * {@code tandem bench compare BASE [HEAD] [--suite quick|full] [--rounds N]}: builds both commits in
 * temporary git worktrees and runs each benchmark of the suite alternately on both (BASE, HEAD, then HEAD,
 * BASE, ...), each with its own launcher and harness, so machine noise and drift fall on both alike. Prints
 * per figure the median speed ratio HEAD/BASE of the paired runs with their spread, and flags a figure
 * that is more than 5% slower beyond the noise ({@link CompareStats}). Without HEAD, the working tree of
 * this checkout (uncommitted changes included) is compared with BASE: what a change is measured with
 * before it is committed.
 */
@Command(name = "compare", mixinStandardHelpOptions = true,
        description = "A change against its parent: both built in worktrees, each benchmark alternated between them, ratios HEAD/BASE.")
public final class Compare implements Callable<Integer> {
    @Mixin
    CompareOptions options;

    /** One benchmark command of a suite and how to read its figures. */
    record Bench(String id, String name, List<String> args, CompareParsers.Parser parser, int rounds) {}

    @Override
    public Integer call() throws Exception {
        CompareOptions o = options.validated();
        Path home = Path.of(System.getProperty("tandem.home", ".")).toAbsolutePath().normalize();
        Path work = Files.createDirectories(home.resolve("bench/target/compare"));
        Path baseTree = work.resolve("base");
        Path headTree = o.head() == null ? home : work.resolve("head");
        String baseSha = commit(home, o.base());
        String headSha = o.head() == null ? "working tree" : commit(home, o.head());
        System.out.printf(Locale.ROOT, "bench compare: BASE %s (%s) vs HEAD %s, suite %s%n", o.base(), abbrev(baseSha),
                o.head() == null ? "working tree" : o.head() + " (" + abbrev(headSha) + ")", o.suite());
        System.out.println("machine: " + MachineInfo.describe());
        try {
            checkout(home, baseTree, baseSha);
            build(baseTree, "BASE");
            if (o.head() != null) { // the working tree was built by the launcher that started us; rebuilding
                checkout(home, headTree, headSha); // it would replace the jar this JVM runs from
                build(headTree, "HEAD");
            }
            List<Bench> suite = suite(o, home, work);
            List<CompareStats.Row> rows = new ArrayList<>();
            List<String> missing = new ArrayList<>();
            for (Bench b : suite) { // each benchmark's rows as soon as they exist, then all of them together
                List<CompareStats.Row> these = run(b, baseTree, headTree, missing);
                System.out.print(CompareStats.table(these));
                rows.addAll(these);
            }
            System.out.println();
            System.out.print(CompareStats.table(rows));
            long flagged = rows.stream().filter(CompareStats.Row::slower).count();
            System.out.println(flagged == 0 ? "no figure is more than 5% slower beyond the noise"
                    : flagged + " figure(s) more than 5% slower beyond the noise: fix, or explain and accept in the note");
            if (!missing.isEmpty()) { // a guard that measured nothing must not read as a pass
                System.out.println("INCOMPLETE: no figures from " + String.join(", ", missing));
                return 1;
            }
        } finally {
            if (!o.keep()) {
                removeWorktree(home, baseTree);
                if (o.head() != null) {
                    removeWorktree(home, headTree);
                }
            }
        }
        return 0;
    }

    static List<Bench> suite(CompareOptions o, Path home, Path work) throws IOException, InterruptedException {
        int r = o.rounds();
        boolean needsBig = o.only() == null || o.only().stream().anyMatch(id -> !List.of("ar", "methods", "drafting").contains(id));
        String small = home.resolve("../shared/models/stories260k/stories260K.bin").normalize().toString();
        Path big = needsBig ? syntheticModel(home, work) : work.resolve("unused");
        List<Bench> list = new ArrayList<>();
        list.add(new Bench("ar", "ar stories260K 1t tok/s",
                List.of("ar", "--model", small, "--threads", "1", "--tokens", "255", "--runs", "11", "--warmup-seconds", "3"),
                CompareParsers.arTokensPerSecond(1), r));
        list.add(new Bench("ar-1b", "ar tinyllama-1.1b q8_0 2t tok/s",
                List.of("ar", "--model", big.toString(), "--threads", "2", "--tokens", "24", "--runs", "5", "--warmup-seconds", "2"),
                CompareParsers.arTokensPerSecond(2), r));
        list.add(new Bench("verify-cost", "verify-cost tinyllama-1.1b q8_0 2t",
                List.of("verify-cost", "--model", big.toString(), "--threads", "2", "--context", "128", "--reps", "7", "--ks", "1,4,16"),
                CompareParsers.verifyCost(4, 16), Math.max(1, (r + 1) / 2)));
        list.add(new Bench("matmul", "matmul 2t 256 MiB GB/s",
                List.of("matmul", "--threads", "2", "--mib", "256", "--jmh-iterations", "3", "--jmh-seconds", "1"),
                CompareParsers.matmulGbPerSecond(), Math.max(1, (r + 1) / 2)));
        if (o.suite().equals("full") || (o.only() != null && o.only().contains("methods"))) { // --only names it: run it
            list.add(new Bench("methods", "methods stories260K 2t tok/s",
                    List.of("methods", "--model", small, "--threads", "2", "--rounds", "3", "--tokens", "200", "--warmup-seconds", "3"),
                    CompareParsers.methodsTokensPerSecond(), Math.max(1, (r + 1) / 2)));
        }
        if (o.suite().equals("full") || (o.only() != null && o.only().contains("drafting"))) {
            // deterministic: stories260K decoded while every pass is charged the inflated 1.1B's measured cost on the
            // AMD EPYC (docs/MEASUREMENTS.md), so a drafting-policy change shows as it is, without the machine's noise
            list.add(new Bench("drafting", "drafting, simulated 1.1B pass costs, speedup over ar",
                    List.of("methods", "--model", small, "--methods", "ar,ngram,auto", "--heads-dir", draftingTable(home, work).toString(),
                            "--tokens", "100", "--rounds", "1", "--temperatures", "0", "--threads", "1", "--warmup-seconds", "0",
                            "--simulate-costs", DRAFTING_COSTS, "--simulate-layers", "22"),
                    CompareParsers.methodsSpeedup(), 1));
        }
        if (o.only() != null) {
            list.removeIf(b -> !o.only().contains(b.id()));
        }
        return list;
    }

    /** The AMD EPYC's verification costs of the inflated TinyLlama-1.1B Q8_0 at 2 threads (ms for 1..16 rows). */
    static final String DRAFTING_COSTS = "1:21.3,2:32.1,4:42.5,8:77.9,16:154";

    /** A folder holding an n-gram table of stories260K's own text (train-ngram's default 1 M positions), written once by this checkout. */
    private static Path draftingTable(Path home, Path work) throws IOException, InterruptedException {
        Path dir = work.resolve("drafting");
        Path f = dir.resolve(MethodTable.NGRAM_TABLE);
        if (!Files.exists(f)) {
            Files.createDirectories(dir);
            System.out.println("writing " + f + " (an n-gram table of stories260K's text, about a minute; kept for later compares)");
            exec(home, List.of(home.resolve("tandem").toString(), "train-ngram", "--out", f.toString()), true);
        }
        return dir;
    }

    /** The synthetic TinyLlama-1.1B Q8_0 GGUF, written once by this checkout and reused by both sides. */
    private static Path syntheticModel(Path home, Path work) throws IOException, InterruptedException {
        Path f = work.resolve("tinyllama-1.1b-q8_0.gguf");
        if (!Files.exists(f)) {
            System.out.println("writing " + f + " (synthetic TinyLlama-1.1B, Q8_0, about 1.2 GB; kept for later compares)");
            exec(home, List.of(home.resolve("tandem").toString(), "synth", "--shape", "tinyllama-1.1b", "--dtype", "q8_0",
                    "--seed", "1", "--out", f.toString()), true);
        }
        return f;
    }

    private static List<CompareStats.Row> run(Bench b, Path baseTree, Path headTree, List<String> missing)
            throws IOException, InterruptedException {
        Map<String, List<Double>> base = new LinkedHashMap<>();
        Map<String, List<Double>> head = new LinkedHashMap<>();
        Map<String, Boolean> higherIsBetter = new LinkedHashMap<>();
        for (int round = 0; round < b.rounds(); round++) {
            boolean baseFirst = round % 2 == 0;
            for (int side = 0; side < 2; side++) {
                boolean isBase = (side == 0) == baseFirst;
                Path tree = isBase ? baseTree : headTree;
                List<String> cmd = new ArrayList<>();
                cmd.add(tree.resolve("tandem").toString());
                cmd.add("bench");
                cmd.addAll(b.args());
                String out = exec(tree, cmd, false);
                Map<String, CompareParsers.Figure> figures = b.parser().parse(out);
                if (figures.isEmpty()) {
                    List<String> lines = out.lines().toList();
                    System.out.printf("  %s on %s: no figure in its output (benchmark missing at that commit, or it failed); "
                            + "its last lines:%n", b.name(), isBase ? "BASE" : "HEAD");
                    lines.subList(Math.max(0, lines.size() - 5), lines.size()).forEach(l -> System.out.println("    " + l));
                    missing.add(b.name() + " on " + (isBase ? "BASE" : "HEAD"));
                }
                for (Map.Entry<String, CompareParsers.Figure> e : figures.entrySet()) {
                    String key = b.name() + (e.getKey().isEmpty() ? "" : " " + e.getKey());
                    (isBase ? base : head).computeIfAbsent(key, k -> new ArrayList<>()).add(e.getValue().value());
                    higherIsBetter.put(key, e.getValue().higherIsBetter());
                }
            }
            System.out.printf(Locale.ROOT, "  %s: round %d/%d done%n", b.name(), round + 1, b.rounds());
        }
        List<CompareStats.Row> rows = new ArrayList<>();
        for (String key : higherIsBetter.keySet()) {
            rows.add(CompareStats.row(key, base.getOrDefault(key, List.of()), head.getOrDefault(key, List.of()), higherIsBetter.get(key)));
        }
        return rows;
    }

    private static void checkout(Path home, Path tree, String sha) throws IOException, InterruptedException {
        removeWorktree(home, tree);
        git(home, "worktree", "add", "--detach", "--force", tree.toString(), sha);
    }

    private static void removeWorktree(Path home, Path tree) throws IOException, InterruptedException {
        if (Files.exists(tree)) {
            exec(home, List.of("git", "worktree", "remove", "--force", tree.toString()), false);
        }
        exec(home, List.of("git", "worktree", "prune"), false);
    }

    /** Builds a tree with Maven and marks its launcher's build as current, so its runs do not rebuild. */
    private static void build(Path tree, String label) throws IOException, InterruptedException {
        System.out.println("building " + label + " in " + tree + " ...");
        long t0 = System.nanoTime();
        exec(tree, List.of("mvn", "-B", "-q", "-Dstyle.color=never", "-DskipTests", "package"), true);
        Path stamp = tree.resolve("cli/target/.tandem-build-stamp");
        Files.createDirectories(stamp.getParent());
        Files.writeString(stamp, "");
        System.out.printf(Locale.ROOT, "built %s in %.0f s%n", label, (System.nanoTime() - t0) / 1e9);
    }

    private static String git(Path dir, String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add("git");
        cmd.addAll(List.of(args));
        return exec(dir, cmd, true);
    }

    /** Runs a command, returns its stdout; stderr goes to ours. A failing command is an error when {@code check}. */
    private static String exec(Path dir, List<String> cmd, boolean check) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile())
                .redirectErrorStream(!check) // a benchmark's error message lands in its output, shown when it gives no figure
                .redirectError(check ? ProcessBuilder.Redirect.INHERIT : ProcessBuilder.Redirect.PIPE)
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        pb.environment().putIfAbsent("MAVEN_OPTS", "--sun-misc-unsafe-memory-access=allow");
        Process p = pb.start();
        byte[] out = p.getInputStream().readAllBytes(); // returns once the command has closed its output
        int code = p.waitFor();
        if (check && code != 0) {
            throw new IllegalStateException("command failed (exit " + code + "): " + String.join(" ", cmd));
        }
        return new String(out, StandardCharsets.UTF_8);
    }

    private static String commit(Path home, String name) throws IOException, InterruptedException {
        try {
            return git(home, "rev-parse", "--verify", "--quiet", name + "^{commit}").strip();
        } catch (IllegalStateException e) {
            throw new dev.tandem.core.TandemException("no commit named '" + name + "' in " + home);
        }
    }

    private static String abbrev(String sha) {
        return sha.length() > 10 ? sha.substring(0, 10) : sha;
    }
}
