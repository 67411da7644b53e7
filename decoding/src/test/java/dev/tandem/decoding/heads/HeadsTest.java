package dev.tandem.decoding.heads;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tandem.core.TandemException;
import dev.tandem.decoding.AutoregressiveGenerator;
import dev.tandem.decoding.GenerationRequest;
import dev.tandem.decoding.GenerationResult;
import dev.tandem.decoding.Generator;
import dev.tandem.decoding.MethodOptions;
import dev.tandem.decoding.Methods;
import dev.tandem.decoding.OnStories260k;
import dev.tandem.decoding.SamplingParams;
import dev.tandem.decoding.TokenStream;
import dev.tandem.models.LlamaConfig;
import dev.tandem.models.Model;
import dev.tandem.models.ModelLoader;
import dev.tandem.models.Tokenizer;
import dev.tandem.models.Transformer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Heads trained in Java: lossless decoding, files that check their model, resumable training. */
class HeadsTest extends OnStories260k {
    @TempDir
    static Path dir;
    private static DistillationCorpus corpus;
    private static Path medusa;
    private static Path cerberus;
    private static Path transfer;

    @BeforeAll
    static void train() {
        corpus = DistillationCorpus.generate(new Transformer(model, backend), tokenizer, 4000, 200, 3, n -> {});
        medusa = dir.resolve("medusa.safetensors");
        cerberus = dir.resolve("cerberus.safetensors");
        for (HeadKind kind : HeadKind.values()) {
            HeadsTrainer.Result r = new HeadsTrainer(model, backend, new HeadsTrainer.Settings(kind, 3, 1, 32, 0.003f, 5))
                    .train(corpus, null, (e, es, s, ss, loss, pps) -> {});
            HeadsFile.save(kind == HeadKind.MEDUSA ? medusa : cerberus, r.heads(), Map.of());
        }
        transfer = dir.resolve("hidden-transfer.safetensors");
        TransferMaps.fit(corpus.layerStates(new Transformer(model, backend), 1), 1, 2, model.name(), null).save(transfer, Map.of());
    }

    static List<String> prompts() throws Exception {
        List<String> out = new ArrayList<>();
        try (var s = Files.list(SHARED.resolve("golden/stories260k"))) {
            for (Path p : s.sorted().toList()) {
                out.add(new com.fasterxml.jackson.databind.ObjectMapper().readTree(p.toFile()).get("prompt").asText());
            }
        }
        return out;
    }

    /**
     * Each method's declared settings are exactly those it reads while it is built and generates: the CLI
     * refuses flags outside the declaration, so a stale one would refuse a flag that works or let one be ignored.
     */
    @Test
    void everyMethodReadsExactlyTheSettingsItDeclares() {
        Map<String, Path> headsOf = Map.of("medusa", medusa, "cerberus", cerberus, "hidden-transfer", transfer, "auto", cerberus);
        GenerationRequest req = new GenerationRequest(tokenizer.encode("Once upon a time", true, false), 24, SamplingParams.GREEDY);
        Path ngram = dir.resolve("corpus.ngram");
        dev.tandem.decoding.speculative.NgramTable.build(corpus.sequences().stream().map(DistillationCorpus.Sequence::tokens).toList(),
                model.config().vocabSize(), 4).save(ngram);
        for (dev.tandem.decoding.methods.DecodingMethod m : Methods.registry()) {
            java.util.Set<MethodOptions.Setting> reads = java.util.EnumSet.noneOf(MethodOptions.Setting.class);
            MethodOptions o = MethodOptions.builder().heads(headsOf.get(m.name())).ngramTable(ngram).build().tracked(reads);
            m.create(new Transformer(model, backend), tokenizer, o).generate(req, TokenStream.NONE);
            assertEquals(m.settings(), reads, m.name() + " reads other settings than it declares");
        }
    }

    @Test
    void headsMethodsAreLosslessAtTemperatureZero() throws Exception {
        MethodOptions base = MethodOptions.defaults();
        Object[][] configs = {
                {"medusa", base.withHeads(medusa, 0)},
                {"medusa", MethodOptions.builder().treeBudget(40).branching(4).heads(medusa).gateEntropy(0).build()},
                {"medusa", staticTree(medusa)},
                {"cerberus", base.withHeads(cerberus, -1)},
                {"cerberus", MethodOptions.builder().heads(cerberus).treeBudget(6).build()},
                {"cerberus", base.withHeads(cerberus, 0)},
                {"cerberus", MethodOptions.builder().draftLength(2).treeBudget(5).branching(2).heads(cerberus).gateEntropy(1.5).build()},
                {"hidden-transfer", base.withHeads(transfer, 0)},
                {"hidden-transfer", MethodOptions.builder().treeBudget(20).branching(4).heads(transfer).gateEntropy(0).build()},
                {"auto", base.withHeads(cerberus, -1)}};
        for (String prompt : prompts()) {
            GenerationRequest req = new GenerationRequest(tokenizer.encode(prompt, true, false), 300, SamplingParams.GREEDY);
            GenerationResult plain = new AutoregressiveGenerator(new Transformer(model, backend), tokenizer).generate(req, TokenStream.NONE);
            int[] ar = plain.tokens();
            for (Object[] c : configs) {
                Generator g = Methods.create((String) c[0], new Transformer(model, backend), tokenizer, (MethodOptions) c[1]);
                GenerationResult r = g.generate(req, TokenStream.NONE);
                assertArrayEquals(ar, r.tokens(), c[0] + " " + c[1] + " on '" + prompt + "'");
                // a static tree drafts every step it can; a sized one, or the router, may draft nothing (here, where
                // rows cost a step), but never takes more passes than plain decoding
                boolean sized = c[0].equals("auto") || ((MethodOptions) c[1]).treeBudget() == 0;
                long bound = sized ? plain.stats().targetForwards() : r.tokens().length;
                assertTrue(r.stats().targetForwards() <= bound, c[0] + " " + c[1] + ": " + r.stats().targetForwards() + " forwards for "
                        + r.tokens().length + " tokens");
            }
        }
    }

    /**
     * stories260K inflated to a test-sized bigger shape (head size 8 to 16, 5 to 7 layers, GQA groups 2 to 4):
     * the same logits within 1e-3 at every golden position; lookup, draft, csd and auto give its ar tokens; and
     * each heads method, with its heads padded by {@link PaddedHeads}, gives the small model's tokens with
     * exactly the small model's acceptance.
     */
    @Test
    void inflatedModelPredictsWhatTheSmallOneDoesAndItsPaddedHeadsDraftTheSame(@TempDir Path tmp) throws Exception {
        LlamaConfig shape = dev.tandem.models.convert.SyntheticModel.shape("mini");
        Path big = tmp.resolve("inflated.gguf");
        Tokenizer bigTokenizer;
        dev.tandem.models.convert.InflatedModel.plan(model, dev.tandem.models.tokenizer.GgufTokenizers.toMetadata(tokenizer),
                "mini", shape, dev.tandem.core.DType.F32, 1).write(big, n -> {});
        try (Model inflated = ModelLoader.load(big)) {
            assertEquals(256, inflated.config().dim());
            assertEquals(7, inflated.config().layers());
            bigTokenizer = dev.tandem.models.tokenizer.GgufTokenizers.fromMetadata(inflated.metadata());
            try (var files = Files.list(SHARED.resolve("golden/stories260k"))) {
                for (Path f : files.sorted().toList()) {
                    var g = new com.fasterxml.jackson.databind.ObjectMapper().readTree(f.toFile());
                    int[] fed = new int[g.get("fed_tokens").size()];
                    Arrays.setAll(fed, i -> g.get("fed_tokens").get(i).asInt());
                    var r = new Transformer(inflated, backend, fed.length).forward(dev.tandem.models.Batch.chain(fed));
                    for (int p = 0; p < fed.length; p++) {
                        float[] logits = r.logits(p);
                        float worst = 0;
                        int best = 0;
                        for (int i = 0; i < logits.length; i++) {
                            worst = Math.max(worst, Math.abs(logits[i] - (float) g.get("logits").get(p).get(i).asDouble()));
                            best = logits[i] > logits[best] ? i : best;
                        }
                        assertTrue(worst <= 1e-3f, f + " position " + p + ": max |logit error| " + worst);
                        assertEquals(g.get("greedy_next").get(p).asInt(), best, f + " position " + p);
                    }
                    assertArrayEquals(tokenizer.encode(g.get("prompt").asText(), true, false),
                            bigTokenizer.encode(g.get("prompt").asText(), true, false));
                }
            }
            for (String method : List.of("lookup", "draft", "csd", "auto")) { // lossless on the inflated model too
                for (String prompt : prompts()) {
                    GenerationRequest req = new GenerationRequest(tokenizer.encode(prompt, true, false), 100, SamplingParams.GREEDY);
                    int[] ar = new AutoregressiveGenerator(new Transformer(inflated, backend), bigTokenizer).generate(req, TokenStream.NONE).tokens();
                    GenerationResult r = Methods.create(method, new Transformer(inflated, backend), bigTokenizer,
                            MethodOptions.defaults()).generate(req, TokenStream.NONE);
                    assertArrayEquals(ar, r.tokens(), method + " on the inflated model, '" + prompt + "'");
                }
            }
            for (Path heads : List.of(medusa, cerberus, transfer)) {
                Path padded = tmp.resolve("padded-" + heads.getFileName());
                PaddedHeads.write(heads, padded, model.config(), inflated.config());
                String method = heads == medusa ? "medusa" : heads == cerberus ? "cerberus" : "hidden-transfer";
                for (String prompt : prompts()) {
                    GenerationRequest req = new GenerationRequest(tokenizer.encode(prompt, true, false), 100, SamplingParams.GREEDY);
                    // a static tree: a sized one depends on the measured cost of rows, which differs between the two
                    GenerationResult small = Methods.create(method, new Transformer(model, backend), tokenizer,
                            staticTree(heads)).generate(req, TokenStream.NONE);
                    GenerationResult large = Methods.create(method, new Transformer(inflated, backend), bigTokenizer,
                            staticTree(padded)).generate(req, TokenStream.NONE);
                    assertArrayEquals(small.tokens(), large.tokens(), method + " on '" + prompt + "'");
                    assertEquals(small.stats().targetForwards(), large.stats().targetForwards(),
                            method + " drafts as well on the inflated model as on the small one, on '" + prompt + "'");
                }
            }
        }
    }

    private static MethodOptions staticTree(Path heads) {
        return MethodOptions.builder().heads(heads).gateEntropy(0).treeBudget(6).build();
    }

    /**
     * medusa and cerberus size their tree per step unless given --tree-budget (the sizer reports its plain and
     * drafting steps as gate events); with it, the tree is static and, for Cerberus, the entropy gate is on.
     */
    @Test
    void headsMethodsSizeTheirTreeByDefaultAndKeepAStaticOneWhenGivenABudget() throws Exception {
        GenerationRequest req = new GenerationRequest(tokenizer.encode(prompts().get(0), true, false), 40, SamplingParams.GREEDY);
        for (String method : List.of("medusa", "cerberus")) {
            Path heads = method.equals("medusa") ? medusa : cerberus;
            Map<String, Long> sized = Methods.create(method, new Transformer(model, backend), tokenizer,
                    MethodOptions.builder().heads(heads).build()).generate(req, TokenStream.NONE).stats().events();
            assertEquals(java.util.Set.of("gate_parallel", "gate_ar"), sized.keySet(), method + " sized: " + sized);
            Map<String, Long> fixed = Methods.create(method, new Transformer(model, backend), tokenizer,
                    MethodOptions.builder().heads(heads).treeBudget(6).build()).generate(req, TokenStream.NONE).stats().events();
            assertEquals(method.equals("cerberus") ? java.util.Set.of("gate_parallel", "gate_ar") : java.util.Set.of(),
                    fixed.keySet(), method + " static: " + fixed);
        }
        Map<String, Long> ungated = Methods.create("cerberus", new Transformer(model, backend), tokenizer,
                MethodOptions.builder().heads(cerberus).treeBudget(6).gateEntropy(0).build()).generate(req, TokenStream.NONE).stats().events();
        assertTrue(ungated.isEmpty(), "static, gate off: " + ungated);
    }

    /**
     * Heads whose tree is sized per step: where rows are free they draft nearly every step, where each row
     * costs a step they never draft, and either way the tokens are plain greedy decoding's.
     */
    @Test
    void sizedHeadsDraftOnlyWhatTheRowsCostAllowsAndStayLossless() throws Exception {
        Heads heads = HeadsFile.load(cerberus, model.config());
        GenerationRequest req = new GenerationRequest(tokenizer.encode(prompts().get(0), true, false), 200, SamplingParams.GREEDY);
        int[] ar = new AutoregressiveGenerator(new Transformer(model, backend), tokenizer).generate(req, TokenStream.NONE).tokens();
        Map<String, Map<String, Long>> events = new java.util.LinkedHashMap<>();
        for (var cost : Map.of("free rows", dev.tandem.decoding.speculative.CostModel.linear(1e-3, 1e-9),
                "costly rows", dev.tandem.decoding.speculative.CostModel.linear(0, 1e-3)).entrySet()) {
            HeadsDrafter d = new HeadsDrafter(heads, model.weights().classifier(), model.weights().tokenEmbedding(), backend, 3, 6, 0,
                    new dev.tandem.decoding.speculative.DraftSizer(cost.getValue(), false));
            GenerationResult r = new dev.tandem.decoding.speculative.SpeculativeGenerator("cerberus", new Transformer(model, backend),
                    tokenizer, d, heads.count()).generate(req, TokenStream.NONE);
            assertArrayEquals(ar, r.tokens(), cost.getKey());
            events.put(cost.getKey(), r.stats().events());
        }
        Map<String, Long> free = events.get("free rows"), costly = events.get("costly rows");
        assertTrue(free.get("gate_parallel") > 20 * free.get("gate_ar"), events.toString());
        assertEquals(0L, costly.get("gate_parallel"), events.toString());
    }

    /** The sized heads hear of other sequences' rows in a shared pass, so in a wide batch their sizer stops drafting. */
    @Test
    void sizedHeadsPriceRowsByWhatTheyAddToASharedPass() throws Exception {
        Heads heads = HeadsFile.load(cerberus, model.config());
        var cost = dev.tandem.decoding.speculative.CostModel.linear(1e-3, 0.1e-3);
        var sizer = new dev.tandem.decoding.speculative.DraftSizer(cost, true);
        HeadsDrafter d = new HeadsDrafter(heads, model.weights().classifier(), model.weights().tokenEmbedding(), backend, 3, 6, 0, sizer);
        double[] scores = {0.9, 0.8, 0.7};
        assertEquals(3, sizer.size(scores), "alone, three likely nodes cost little more than the pass itself");
        for (int i = 0; i < 20; i++) {
            d.sharedPass(8);
            d.verified(dev.tandem.decoding.speculative.DraftTree.empty(), 0, 50_000_000, 0);
        }
        assertEquals(0, sizer.size(scores), "beside eight other rows each row adds its own cost: no draft pays");
    }

    @Test
    void cerberusGateReportsBothBranches() {
        MethodOptions staticTree = MethodOptions.builder().treeBudget(6).build(); // the sized tree's sizer reports its own steps
        Generator g = Methods.create("cerberus", new Transformer(model, backend), tokenizer, staticTree.withHeads(cerberus, 3.0));
        GenerationResult r = g.generate(new GenerationRequest(tokenizer.encode("Once upon a time", true, false), 200,
                SamplingParams.GREEDY), TokenStream.NONE);
        Map<String, Long> ev = r.stats().events();
        assertTrue(ev.get("gate_parallel") > 0 && ev.get("gate_ar") > 0, ev.toString());
        Generator off = Methods.create("cerberus", new Transformer(model, backend), tokenizer, staticTree.withHeads(cerberus, 0));
        assertTrue(off.generate(new GenerationRequest(tokenizer.encode("Once upon a time", true, false), 50, SamplingParams.GREEDY),
                TokenStream.NONE).stats().events().isEmpty());
    }

    @Test
    void trainingLowersTheLoss() {
        HeadsTrainer one = new HeadsTrainer(model, backend, new HeadsTrainer.Settings(HeadKind.CERBERUS, 2, 1, 64, 0.003f, 9));
        double[] first = new double[1];
        double[] last = new double[1];
        one.train(corpus, null, (e, es, s, ss, loss, pps) -> {
            if (s == 1) {
                first[0] = loss;
            }
            last[0] = loss;
        });
        HeadsTrainer.Result three = new HeadsTrainer(model, backend, new HeadsTrainer.Settings(HeadKind.CERBERUS, 2, 3, 64, 0.003f, 9))
                .train(corpus, null, (e, es, s, ss, loss, pps) -> {});
        assertTrue(three.finalLoss() < first[0], "loss falls: first batch " + first[0] + ", after 3 epochs " + three.finalLoss());
    }

    @Test
    void interruptedTrainingResumesToTheSameHeads(@TempDir Path tmp) {
        HeadsTrainer.Settings s = new HeadsTrainer.Settings(HeadKind.MEDUSA, 2, 2, 64, 0.003f, 11, 5);
        Heads whole = new HeadsTrainer(model, backend, s).train(corpus, null, (e, es, st, ss, l, p) -> {}).heads();
        Path ckpt = tmp.resolve("heads.ckpt");
        class Stop extends RuntimeException {}
        assertThrows(Stop.class, () -> new HeadsTrainer(model, backend, s).train(corpus, ckpt, (e, es, st, ss, l, p) -> {
            if (st == 13) {
                throw new Stop(); // killed mid-run: the checkpoint holds step 10
            }
        }));
        assertTrue(Files.exists(ckpt));
        long[] firstStep = {-1};
        Heads resumed = new HeadsTrainer(model, backend, s).train(corpus, ckpt, (e, es, st, ss, l, p) -> {
            if (firstStep[0] < 0) {
                firstStep[0] = st;
            }
        }).heads();
        assertEquals(11, firstStep[0], "resumed after the last checkpoint (step 10)");
        for (int k = 0; k < whole.count(); k++) {
            assertArrayEquals(whole.w[k], resumed.w[k], 0f, "head " + k + " W");
            assertArrayEquals(whole.b[k], resumed.b[k], 0f, "head " + k + " b");
        }
        HeadsTrainer.Settings other = new HeadsTrainer.Settings(HeadKind.MEDUSA, 3, 2, 64, 0.003f, 11, 5);
        TandemException e = assertThrows(TandemException.class,
                () -> new HeadsTrainer(model, backend, other).train(corpus, ckpt, (a, b, c, d, l, p) -> {}));
        assertTrue(e.getMessage().contains("another training run"), e.getMessage());
    }

    @Test
    void transferFitPredictsFutureStatesBetterThanTheCurrentOne() {
        List<float[][]> states = corpus.layerStates(new Transformer(model, backend), 1);
        double[] mse = new double[2];
        TransferMaps maps = TransferMaps.fit(states, 1, 2, model.name(), mse);
        // baseline: predict the next state by the current one
        double copy = 0;
        long n = 0;
        for (float[][] seq : states) {
            for (int t = 0; t + 1 < seq.length; t++) {
                for (int c = 0; c < seq[t].length; c++) {
                    double e = seq[t][c] - seq[t + 1][c];
                    copy += e * e;
                    n++;
                }
            }
        }
        assertTrue(mse[0] < copy / n, "fitted transfer error " + mse[0] + " beats copying the state " + copy / n);
        assertEquals(2, maps.count());
        TandemException e = assertThrows(TandemException.class, () -> TransferMaps.load(medusa, model.config()));
        assertTrue(e.getMessage().contains("not a Tandem hidden-transfer file"), e.getMessage());
    }

    @Test
    void headsFilesCheckTheirModelAndIntegrity(@TempDir Path tmp) throws Exception {
        Heads foreign = new Heads(HeadKind.MEDUSA, 2, 16, 12, "synthetic");
        Path other = tmp.resolve("other.safetensors");
        HeadsFile.save(other, foreign, Map.of());
        TandemException e = assertThrows(TandemException.class, () -> HeadsFile.load(other, model.config()));
        assertTrue(e.getMessage().contains("another model"), e.getMessage());

        byte[] good = Files.readAllBytes(medusa);
        Path truncated = tmp.resolve("truncated.safetensors");
        Files.write(truncated, Arrays.copyOf(good, good.length - 100));
        assertThrows(TandemException.class, () -> HeadsFile.load(truncated, model.config()));
        Path garbage = tmp.resolve("garbage.safetensors");
        Files.write(garbage, "not a safetensors file at all".getBytes());
        assertThrows(TandemException.class, () -> HeadsFile.load(garbage, model.config()));
        byte[] flipped = good.clone();
        flipped[20] ^= 0x55; // inside the JSON header
        Path bad = tmp.resolve("flipped.safetensors");
        Files.write(bad, flipped);
        assertThrows(TandemException.class, () -> HeadsFile.load(bad, model.config()));

        LlamaConfig c = model.config();
        Heads loaded = HeadsFile.load(medusa, c);
        assertEquals(3, loaded.count());
        assertEquals(c.dim(), loaded.dim());
    }
}
