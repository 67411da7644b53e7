package dev.tandem.bench;

import dev.tandem.core.TandemException;
import dev.tandem.core.cpu.CpuBackend;
import dev.tandem.decoding.GenerationRequest;
import dev.tandem.decoding.GenerationResult;
import dev.tandem.decoding.Generator;
import dev.tandem.decoding.MethodOptions;
import dev.tandem.decoding.Methods;
import dev.tandem.decoding.SamplingParams;
import dev.tandem.decoding.TokenStream;
import dev.tandem.models.Llama2cTokenizer;
import dev.tandem.models.Model;
import dev.tandem.models.Tokenizer;
import dev.tandem.models.Transformer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * Every decoding method on the same prompts, greedy and sampled: mean accepted length, target forwards
 * per token, draft forwards, tokens/s and speedup over {@code ar}, all measured in one run with the
 * methods interleaved round-robin so that noise and JIT state fall on all of them alike.
 */
@Command(name = "methods", mixinStandardHelpOptions = true,
        description = "Every decoding method on the same prompts, interleaved round-robin: accepted length, forwards, tokens/s, speedup over ar.")
public final class MethodTable implements Callable<Integer> {
    @Mixin
    ModelOption model;

    @Option(names = "--methods", paramLabel = "M[,M...]", description = "Methods to run (default: all, in every configuration).")
    String methods = "";

    @Option(names = "--exclude", paramLabel = "LABEL[,LABEL...]", description = "Leave out configurations whose label contains one of these.")
    String exclude = "";

    @Option(names = "--heads-dir", paramLabel = "DIR", description = "medusa/cerberus/hidden-transfer heads files and the n-gram table "
            + NGRAM_TABLE + " (default: trained drafters are skipped).")
    String headsDir = "";

    @Mixin
    ThreadsOption threads;

    @Option(names = "--tokens", paramLabel = "N", description = "Tokens per prompt (default: ${DEFAULT-VALUE}).")
    int tokens = 300;

    /** A round runs every configuration on every prompt, round-robin. */
    @Mixin
    RoundsOption rounds = new RoundsOption(5);

    /** Every configuration runs the prompts in turn until it is over (with --simulate-costs, one round instead). */
    @Mixin
    WarmupOption warmup = new WarmupOption(5);

    @Option(names = "--temperatures", split = ",", paramLabel = "T[,T...]", description = "Temperatures (default: 0,0.8).")
    float[] temperatures = {0f, 0.8f};

    @Option(names = "--png", paramLabel = "FILE", description = "Also draw the speedups as a chart.")
    String png = "";

    @Mixin
    ReportDirOption reportDir;

    @Option(names = "--simulate-costs", paramLabel = "ROWS:MS[,...]|CSV", description = "Charge every pass what a pass of that many "
            + "rows costs on a larger model that predicts as this one does (as bench verify-cost measured it there, e.g. "
            + "1:20.5,2:33.2,4:47.6,8:84.4,16:158, or its verify-cost.csv): sizing, routing and tokens/s as there, without its noise.")
    String simulateCosts = "";

    @Option(names = "--simulate-layers", paramLabel = "N", description = "With --simulate-costs: the larger model's layers, for "
            + "draft models made of the first layers (default: this model's).")
    int simulateLayers = 0;

    /** generate's --method and every method setting, from the one declaration: with --method, ar and that one configuration. */
    @picocli.CommandLine.Mixin
    dev.tandem.options.MethodFlags methodFlags;

    /** The golden prompts plus one more. */
    static final List<String> PROMPTS = List.of("", "Once upon a time, there was a little girl named Lily.",
            "Tom and his dog went to the park", "The sun was shining. Sara wanted to", "Lily and Ben were friends.");

    /** The n-gram table's name in --heads-dir (made by ./tandem train-ngram). */
    static final String NGRAM_TABLE = "ngram.table";

    record Config(String label, String method, MethodOptions options) {}


    static final class Totals {
        long tokens;
        long targetForwards;
        long draftForwards;
        long steps;
        long gateParallel;
        long gateAr;
        double seconds;
        long rows;          // target rows verified after the prompts
        long decodeSteps;   // target passes after the prompts
        double decodeSeconds;
        double[] tps;
        long[] acceptedHistogram = new long[0];

        /** Target rows a step verified, after the prompts. */
        double rowsPerStep() {
            return decodeSteps == 0 ? 0 : (double) rows / decodeSteps;
        }

        /** Seconds of a step after the prompts. */
        double stepSeconds() {
            return decodeSteps == 0 ? 0 : decodeSeconds / decodeSteps;
        }

        /** A step's time over a step of {@code ar}'s (0 where ar took no step after its prompts). */
        double stepCost(Totals ar) {
            return ar.stepSeconds() == 0 ? 0 : stepSeconds() / ar.stepSeconds();
        }
    }

    public static List<Config> configs(String spec, Path headsDir) {
        MethodOptions d = MethodOptions.defaults();
        List<Config> all = new ArrayList<>();
        all.add(new Config("ar", "ar", d));
        all.add(new Config("lookup", "lookup", d));
        all.add(new Config("lookup (tree of 4)", "lookup", MethodOptions.builder().lookupCandidates(4).build()));
        // layers 4 named, not defaulted: the default (three quarters of the layers) is 4 on stories260K but 17 on
        // stories260K inflated to TinyLlama-1.1B, whose first 4 layers are stories260K's own first 4
        MethodOptions layers4 = MethodOptions.builder().draftLayers(List.of(4)).build();
        all.add(new Config("draft (layers-4 chain of 4)", "draft", layers4));
        all.add(new Config("draft (layers-4 tree of 16)", "draft", MethodOptions.builder().draftLayers(List.of(4)).treeBudget(16).build()));
        all.add(new Config("csd (layers-4 + MaG)", "csd", layers4));
        all.add(new Config("csd (layers-4, layers-2 + MaG)", "csd", MethodOptions.builder().draftLayers(List.of(4, 2)).build()));
        MethodOptions wideTree = MethodOptions.builder().treeBudget(63).branching(8).build();
        MethodOptions tree6 = MethodOptions.builder().treeBudget(6).build();
        if (headsDir != null) {
            Path medusa = headsDir.resolve("medusa.safetensors");
            Path cerberus = headsDir.resolve("cerberus.safetensors");
            if (java.nio.file.Files.exists(medusa)) {
                all.add(new Config("medusa (sized tree, default)", "medusa", d.withHeads(medusa, 0)));
                all.add(new Config("medusa (tree of 6)", "medusa", tree6.withHeads(medusa, 0)));
                all.add(new Config("medusa (tree of 63)", "medusa", wideTree.withHeads(medusa, 0)));
            }
            Path transfer = headsDir.resolve("hidden-transfer.safetensors");
            if (java.nio.file.Files.exists(transfer)) {
                all.add(new Config("hidden-transfer (tree of 6)", "hidden-transfer", d.withHeads(transfer, 0)));
            }
            if (java.nio.file.Files.exists(cerberus)) {
                all.add(new Config("cerberus (sized tree, default)", "cerberus", d.withHeads(cerberus, -1)));
                all.add(new Config("cerberus (tree of 6, gate off)", "cerberus", tree6.withHeads(cerberus, 0)));
                all.add(new Config("cerberus (tree of 6, gate 1.0 nats)", "cerberus", tree6.withHeads(cerberus, -1)));
                all.add(new Config("cerberus (tree of 6, gate 2.0 nats)", "cerberus", tree6.withHeads(cerberus, 2.0)));
                all.add(new Config("cerberus (tree of 63, gate off)", "cerberus", wideTree.withHeads(cerberus, 0)));
            }
        }
        Path ngram = headsDir == null ? null : headsDir.resolve(NGRAM_TABLE);
        boolean hasNgram = ngram != null && java.nio.file.Files.exists(ngram);
        if (hasNgram) {
            all.add(new Config("ngram (sized trees)", "ngram", MethodOptions.builder().ngramTable(ngram).build()));
        }
        Path cerberusHeads = headsDir == null ? null : headsDir.resolve("cerberus.safetensors");
        boolean hasCerberus = cerberusHeads != null && java.nio.file.Files.exists(cerberusHeads);
        MethodOptions router = layers4.toBuilder().ngramTable(hasNgram ? ngram : null).build();
        all.add(new Config("auto (router" + (hasCerberus ? ", with cerberus heads" : "") + (hasNgram ? ", with the n-gram table" : "") + ")",
                "auto", hasCerberus ? router.withHeads(cerberusHeads, -1) : router));
        if (spec == null || spec.isBlank()) {
            return all;
        }
        List<String> wanted = Arrays.asList(spec.split(","));
        return all.stream().filter(c -> wanted.contains(c.method())).toList();
    }

    /** Parses {@code args} and runs (for callers in the same JVM; errors propagate). */
    public static void main(String[] args) throws Exception {
        Main.run(new MethodTable(), args);
    }

    @Override
    public Integer call() {
        boolean one = methodFlags.methodGiven();
        methodFlags.check(one);
        List<Model> drafts = one ? methodFlags.loadDraftModels() : List.of();
        if (simulateLayers != 0 && simulateCosts.isBlank()) {
            throw new TandemException("--simulate-layers applies with --simulate-costs only");
        }
        SimulatedCosts simulated = simulateCosts.isBlank() ? null : new SimulatedCosts(simulateCosts);
        try (Model model = this.model.load(); CpuBackend cpu = new CpuBackend(threads.count)) {
            // a simulation's tables and charts say so: their tokens/s are the simulated model's, not this one's
            String modelLabel = simulated == null ? model.name()
                    : model.name() + " with simulated pass costs (" + simulated.describe() + ")";
            if (simulateLayers != 0 && simulateLayers < model.config().layers()) {
                throw new TandemException("--simulate-layers " + simulateLayers + ": the simulated model must have at least this model's "
                        + model.config().layers() + " layers (an inflated copy keeps them first)");
            }
            dev.tandem.core.Backend backend = simulated == null ? cpu : simulated.charging(cpu, model.config().layers(),
                    model.config().vocabSize(), simulateLayers > 0 ? simulateLayers : model.config().layers());
            Tokenizer tok = dev.tandem.models.tokenizer.Tokenizers.forModel(model, null); // embedded (GGUF), else beside the model
            List<Config> configs = new ArrayList<>();
            if (one) { // ar beside the configuration the flags describe, as generate would run it
                String settings = methodFlags.givenSettings();
                configs.add(new Config("ar", "ar", MethodOptions.defaults()));
                configs.add(new Config(methodFlags.method() + (settings.isEmpty() ? "" : " (" + settings + ")"), methodFlags.method(),
                        methodFlags.options(drafts)));
            } else {
                String settings = methodFlags.givenSettings();
                if (!settings.isEmpty()) { // the table's configurations are fixed: a setting would be ignored silently
                    throw new TandemException("method settings (" + settings + ") apply to one method: add --method NAME; "
                            + "the table of every method reads trained drafters and " + NGRAM_TABLE + " from --heads-dir");
                }
                configs.addAll(configs(methods, headsDir.isEmpty() ? null : Path.of(headsDir)));
            }
            for (String part : exclude.isBlank() ? new String[0] : exclude.split(",")) { // label substrings, e.g. "tree of 63"
                configs.removeIf(c -> !c.method().equals("ar") && c.label().contains(part.trim()));
            }
            System.out.printf(Locale.ROOT, "%s, %d prompts x %d new tokens, %d rounds after %.0f s warm-up, %d thread(s)%n%n",
                    model.name(), PROMPTS.size(), tokens, rounds.count, warmup.seconds, threads.count);
            if (simulated != null) {
                System.out.println("simulated: every pass charged as on the larger model (" + simulated.describe()
                        + "); tokens/s are that model's\n");
            }
            for (float temperature : temperatures) {
                Map<Config, Generator> gens = new LinkedHashMap<>();
                for (Config c : configs) {
                    gens.put(c, Methods.create(c.method(), new Transformer(model, backend), tok, c.options()));
                }
                Runnable warmUpRound = () -> gens.values().forEach(g -> runAll(g, tok, tokens, temperature, 1));
                if (simulated != null) { // one round, so that every run starts its rounds in the same state
                    warmUpRound.run();
                } else {
                    long warmEnd = warmup.endFromNow();
                    while (System.nanoTime() - warmEnd < 0) {
                        warmUpRound.run();
                    }
                }
                Map<Config, Totals> totals = new LinkedHashMap<>();
                for (Config c : configs) {
                    Totals t = new Totals();
                    t.tps = new double[rounds.count];
                    totals.put(c, t);
                }
                for (int round = 0; round < rounds.count; round++) {
                    for (Config c : configs) {
                        Totals t = totals.get(c);
                        long before = t.tokens;
                        double secondsBefore = t.seconds;
                        for (GenerationResult r : runAll(gens.get(c), tok, tokens, temperature, 100 + round)) {
                            t.tokens += r.tokens().length;
                            t.steps += r.stats().targetForwards();
                            // Hidden Transfer's drafting pass is a target forward: count it as one
                            long transfer = r.stats().draftForwards().getOrDefault("target (transfer)", 0L);
                            t.targetForwards += r.stats().targetForwards() + transfer;
                            t.draftForwards += r.stats().draftForwards().values().stream().mapToLong(Long::longValue).sum() - transfer;
                            t.seconds += r.stats().seconds();
                            t.rows += r.stats().verifiedRows();
                            t.decodeSteps += Math.max(0, r.stats().targetForwards() - 1);
                            t.decodeSeconds += r.stats().seconds() - r.stats().promptSeconds();
                            t.gateParallel += r.stats().events().getOrDefault("gate_parallel", 0L);
                            t.gateAr += r.stats().events().getOrDefault("gate_ar", 0L);
                            long[] h = r.stats().acceptedHistogram();
                            if (h.length > t.acceptedHistogram.length) {
                                t.acceptedHistogram = Arrays.copyOf(t.acceptedHistogram, h.length);
                            }
                            for (int a = 0; a < h.length; a++) {
                                t.acceptedHistogram[a] += h[a];
                            }
                        }
                        t.tps[round] = (t.tokens - before) / (t.seconds - secondsBefore);
                    }
                }
                double arTps = median(totals.get(configs.get(0)).tps);
                if (!png.isEmpty()) {
                    List<String> labels = configs.stream().map(Config::label).toList();
                    double[] speedup = configs.stream().mapToDouble(c -> median(totals.get(c).tps) / arTps).toArray();
                    double[] accepted = configs.stream().mapToDouble(c -> (double) totals.get(c).tokens / totals.get(c).steps).toArray();
                    Path file = Path.of(png.replace(".png", String.format(Locale.ROOT, "-t%.1f.png", temperature)));
                    BarChart.write(file, String.format(Locale.ROOT, "%s, temperature %.1f, %d thread(s): every method against plain decoding",
                            modelLabel, temperature, threads.count), labels, List.of(
                            new BarChart.Series("speedup over ar (tokens/s)", speedup, new java.awt.Color(0x3b75af), 1.0),
                            new BarChart.Series("mean accepted length (tokens / step)", accepted, new java.awt.Color(0xef8636), 1.0)));
                    System.out.println("chart: " + file);
                }
                if (reportDir.orNull() != null) {
                    MethodReport.write(reportDir.orNull(), modelLabel, temperature, threads.count, tokens, rounds.count, configs, totals, arTps);
                }
                System.out.printf(Locale.ROOT, "temperature %.1f%n", temperature);
                System.out.println("(mean accepted length: tokens per verification step; target forwards include Hidden Transfer's drafting pass)");
                System.out.println("(rows / step: target rows a step verifies; step cost: a step's time over an ar step's)");
                System.out.println("| method | mean accepted length | rows / step | step cost (ar steps) | target forwards / token | draft forwards / token | gate parallel / AR steps | tokens/s | speedup vs ar |");
                System.out.println("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
                Totals arTotals = totals.get(configs.get(0));
                for (Config c : configs) {
                    Totals t = totals.get(c);
                    double tps = median(t.tps);
                    String gate = t.gateParallel + t.gateAr == 0 ? "-" : t.gateParallel + " / " + t.gateAr;
                    System.out.printf(Locale.ROOT, "| %s | %.2f | %.2f | %.2f | %.3f | %.3f | %s | %.0f | %.2f |%n", c.label(),
                            (double) t.tokens / t.steps, t.rowsPerStep(), t.stepCost(arTotals), (double) t.targetForwards / t.tokens,
                            (double) t.draftForwards / t.tokens, gate, tps, tps / arTps);
                }
                System.out.println();
            }
        } finally {
            drafts.forEach(Model::close);
            if (simulated != null) {
                dev.tandem.decoding.DecodingClock.reset();
            }
        }
        return 0;
    }

    static List<GenerationResult> runAll(Generator g, Tokenizer tok, int tokens, float temperature, long seed) {
        List<GenerationResult> out = new ArrayList<>();
        for (String p : PROMPTS) {
            SamplingParams sp = new SamplingParams(temperature, 0, 1f, 0f, seed);
            out.add(g.generate(new GenerationRequest(tok.encode(p, true, false), tokens, sp), TokenStream.NONE));
        }
        return out;
    }

    static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s[s.length / 2];
    }
}
