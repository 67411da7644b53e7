package dev.tandem.decoding;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tandem.core.cpu.CpuBackend;
import dev.tandem.decoding.speculative.Acceptance;
import dev.tandem.decoding.speculative.DraftModelDrafter;
import dev.tandem.decoding.speculative.DraftTree;
import dev.tandem.decoding.speculative.Drafter;
import dev.tandem.decoding.speculative.LookupDrafter;
import dev.tandem.decoding.speculative.SpeculativeGenerator;
import dev.tandem.decoding.speculative.TokenHistory;
import dev.tandem.decoding.speculative.Verifier;
import dev.tandem.models.Batch;
import dev.tandem.models.LlamaConfig;
import dev.tandem.models.Llama2cWriter;
import dev.tandem.models.Model;
import dev.tandem.models.ModelLoader;
import dev.tandem.models.Tokenizer;
import dev.tandem.models.Transformer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * With sampling, every verification rule reproduces the target's distribution. On a small synthetic model
 * (12 tokens) each check runs 20,000 seeded generations and compares the distribution of the 2nd and
 * 3rd generated tokens (the ones that go through verification) with the exact marginals computed from
 * the target by enumeration, by a chi-square test at significance 1e-5. Everything is seeded, so the test
 * is deterministic; the threshold is what keeps it honest: a deliberately wrong verifier fails it.
 */
class SamplingDistributionTest {
    static final int VOCAB = 12;
    static final int SAMPLES = 20_000;
    static final int[] PROMPT = {1, 5, 7};
    static final SamplingParams SAMPLING = new SamplingParams(0.9f, 0, 0.97f, 0f, 0);

    @TempDir
    static Path dir;
    private static Model target;
    private static Model draft;
    private static CpuBackend backend;
    private static double[] expected2;
    private static double[] expected3;

    /** A tokenizer for a 12-token synthetic vocabulary: token i is the letter 'a' + i. */
    static final Tokenizer LETTERS = new Tokenizer() {
        public int vocabSize() { return VOCAB; }
        public int bos() { return 1; }
        public int eos() { return 2; }
        public int[] encode(String text, boolean bos, boolean eos) { throw new UnsupportedOperationException(); }
        public byte[] decode(int prev, int token) { return String.valueOf((char) ('a' + token)).getBytes(StandardCharsets.UTF_8); }
        public String piece(int token) { return String.valueOf((char) ('a' + token)); }
    };

    @BeforeAll
    static void models() {
        LlamaConfig shape = new LlamaConfig(16, 32, 2, 2, 1, VOCAB, 64, 1e-5f, 10000f, true);
        Llama2cWriter.writeRandom(dir.resolve("target.bin"), shape, 1, 0.6f);
        Llama2cWriter.writeRandom(dir.resolve("draft.bin"), shape, 2, 0.6f);
        target = ModelLoader.load(dir.resolve("target.bin"));
        draft = ModelLoader.load(dir.resolve("draft.bin"));
        backend = new CpuBackend(1);
        computeExpected();
    }

    @AfterAll
    static void close() {
        backend.close();
        target.close();
        draft.close();
    }

    /**
     * Exact marginals of generated tokens 2 and 3, excluding BOS/EOS (generation stops there): enumerate
     * every first and second token. Probabilities of sequences that stop early are left out of both the
     * expectation and the observations.
     */
    static void computeExpected() {
        Sampler s = new Sampler(SAMPLING);
        Transformer t = new Transformer(target, backend);
        double[] e2 = new double[VOCAB];
        double[] e3 = new double[VOCAB];
        float[] p1 = s.distribution(lastLogits(t, PROMPT));
        for (int y1 = 3; y1 < VOCAB; y1++) {
            int[] c1 = append(PROMPT, y1);
            float[] p2 = s.distribution(lastLogits(t, c1));
            for (int y2 = 3; y2 < VOCAB; y2++) {
                e2[y2] += p1[y1] * p2[y2];
                float[] p3 = s.distribution(lastLogits(t, append(c1, y2)));
                for (int y3 = 3; y3 < VOCAB; y3++) {
                    e3[y3] += p1[y1] * p2[y2] * p3[y3];
                }
            }
        }
        expected2 = e2;
        expected3 = e3;
    }

    static float[] lastLogits(Transformer t, int[] tokens) {
        t.cache().reset();
        return t.forward(Batch.chain(tokens).lastLogitsOnly()).logits(tokens.length - 1);
    }

    static int[] append(int[] a, int x) {
        int[] out = Arrays.copyOf(a, a.length + 1);
        out[a.length] = x;
        return out;
    }

    /** Chi-square statistic of observed counts against expected probabilities (cells under 5 expected merged). */
    static double[] chiSquare(long[] observed, double[] expected) {
        double total = Arrays.stream(observed).sum();
        double mass = Arrays.stream(expected).sum();
        double stat = 0;
        int cells = 0;
        double pooledExp = 0;
        double pooledObs = 0;
        for (int i = 0; i < expected.length; i++) {
            double e = expected[i] / mass * total;
            if (e < 5) {
                pooledExp += e;
                pooledObs += observed[i];
                continue;
            }
            stat += (observed[i] - e) * (observed[i] - e) / e;
            cells++;
        }
        if (pooledExp > 0) {
            stat += (pooledObs - pooledExp) * (pooledObs - pooledExp) / Math.max(pooledExp, 1e-9);
            cells++;
        }
        return new double[] {stat, cells - 1};
    }

    /** Chi-square quantile at 1 - 1e-5 (Wilson-Hilferty). */
    static double critical(double df) {
        double z = 4.265;
        double a = 2.0 / (9 * df);
        return df * Math.pow(1 - a + z * Math.sqrt(a), 3);
    }

    /** Runs seeded 3-token generations and returns chi-square statistic / critical value for tokens 2 and 3. */
    static double[] score(Drafter drafter, int depth) {
        return score(new SpeculativeGenerator("test", new Transformer(target, backend), LETTERS, drafter, depth));
    }

    static double[] score(SpeculativeGenerator g) {
        long[] obs2 = new long[VOCAB];
        long[] obs3 = new long[VOCAB];
        for (int i = 0; i < SAMPLES; i++) {
            SamplingParams sp = new SamplingParams(SAMPLING.temperature(), SAMPLING.topK(), SAMPLING.topP(), SAMPLING.minP(), 1000 + i);
            int[] out = g.generate(new GenerationRequest(PROMPT, 3, sp), TokenStream.NONE).tokens();
            if (out.length == 3) {
                obs2[out[1]]++;
                obs3[out[2]]++;
            } else if (out.length == 2) {
                obs2[out[1]]++;
            }
        }
        double[] c2 = chiSquare(obs2, expected2);
        double[] c3 = chiSquare(obs3, expected3);
        return new double[] {c2[0] / critical(c2[1]), c3[0] / critical(c3[1])};
    }

    static void assertMatchesTarget(String what, double[] ratios) {
        assertTrue(ratios[0] < 1 && ratios[1] < 1, what + ": chi-square / critical = " + Arrays.toString(ratios));
    }

    private static Transformer draftTransformer() {
        return new Transformer(draft, backend);
    }

    @Test
    void chainRejectionSamplingMatchesTarget() {
        assertMatchesTarget("sampled draft chain", score(new DraftModelDrafter("draft", draftTransformer(), 2, 1, 0), 2));
    }

    @Test
    void multiBranchTreeRejectionSamplingMatchesTarget() {
        assertMatchesTarget("3 independent draws per node", score(new BranchingDrafter(draftTransformer(), 3, false), 2));
    }

    @Test
    void siblingsWithoutReplacementMatchTarget() {
        assertMatchesTarget("3 siblings without replacement", score(new BranchingDrafter(draftTransformer(), 3, true), 2));
    }

    @Test
    void deterministicCandidatesMatchTarget() {
        assertMatchesTarget("lookup tree", score(new LookupDrafter(2, 3, 20), 2));
        assertMatchesTarget("top-k draft tree", score(new DraftModelDrafter("draft", draftTransformer(), 2, 3, 6), 2));
    }

    @Test
    void headsDraftsMatchTarget() {
        Transformer t = new Transformer(target, backend);
        var corpus = dev.tandem.decoding.heads.DistillationCorpus.generate(t, LETTERS, 600, 40, 1, n -> {});
        for (var kind : dev.tandem.decoding.heads.HeadKind.values()) {
            var heads = new dev.tandem.decoding.heads.HeadsTrainer(target, backend,
                    new dev.tandem.decoding.heads.HeadsTrainer.Settings(kind, 2, 1, 16, 0.01f, 1))
                    .train(corpus, null, (e, es, s, ss, l, p) -> {}).heads();
            var drafter = new dev.tandem.decoding.heads.HeadsDrafter(heads, target.weights().classifier(),
                    target.weights().tokenEmbedding(), backend, 3, 6, 0);
            assertMatchesTarget(kind + " heads", score(drafter, 2));
        }
    }

    /** Trees drawn from an n-gram table's successor counts (text the target sampled; siblings without replacement), verified against those counts. */
    @Test
    void ngramSampledDraftsMatchTarget() {
        Transformer t = new Transformer(target, backend);
        var texts = dev.tandem.decoding.heads.DistillationCorpus.texts(t, LETTERS, 4000, 40, 3, new float[] {0.9f}, n -> {});
        var table = dev.tandem.decoding.speculative.NgramTable.build(texts, VOCAB, 4);
        var sizer = new dev.tandem.decoding.speculative.DraftSizer(dev.tandem.decoding.speculative.CostModel.linear(1e-3, 1e-9), false);
        assertMatchesTarget("n-gram sampled trees", score(new dev.tandem.decoding.speculative.NgramDrafter(table, sizer), 2));
    }

    @Test
    void hiddenTransferDraftsMatchTarget() {
        Transformer t = new Transformer(target, backend);
        var corpus = dev.tandem.decoding.heads.DistillationCorpus.generate(t, LETTERS, 600, 40, 2, n -> {});
        var maps = dev.tandem.decoding.heads.TransferMaps.fit(corpus.layerStates(t, 1), 1, 2, "synthetic", null);
        Transformer verifying = new Transformer(target, backend);
        var drafter = new dev.tandem.decoding.heads.HiddenTransferDrafter(verifying, maps, 3, 6);
        SpeculativeGenerator g = new SpeculativeGenerator("hidden-transfer", verifying, LETTERS, drafter, 2);
        assertMatchesTarget("hidden transfer", score(g));
    }

    /** The test has teeth: a verifier that resamples from p instead of the residual after a rejection. */
    @Test
    void wrongVerifierFailsTheTest() {
        Drafter honest = new DraftModelDrafter("draft", draftTransformer(), 2, 1, 0);
        Drafter broken = new Drafter() {
            public String name() { return "broken"; }
            public void reset(TokenHistory h) { honest.reset(h); }
            public DraftTree propose(TokenHistory h, int maxDepth, Sampler s) { return honest.propose(h, maxDepth, s); }
            public Map<String, Long> draftForwards() { return honest.draftForwards(); }
            public Verifier verifier(SamplingParams sampling, DraftTree.Kind kind) { return new ResampleFromTargetVerifier(); }
        };
        double[] ratios = score(broken, 2);
        assertTrue(ratios[0] > 1 || ratios[1] > 1, "the wrong verifier must be caught: " + Arrays.toString(ratios));
    }

    /** Wrong on purpose: accepts with min(1, p/q) but on rejection draws from p, not from max(0, p - q). */
    static final class ResampleFromTargetVerifier implements Verifier {
        @Override
        public Acceptance verify(DraftTree tree, dev.tandem.decoding.speculative.TargetLogits target, Sampler sampler) {
            int[] path = new int[tree.maxDepth()];
            int n = 0;
            int node = -1;
            while (true) {
                float[] p = sampler.distribution(target.logits(node));
                int[] kids = tree.children(node);
                if (kids.length == 0) {
                    return new Acceptance(Arrays.copyOf(path, n), sampler.draw(p));
                }
                int child = kids[0];
                int x = tree.token(child);
                if (sampler.nextUniform() < Math.min(1.0, p[x] / tree.q(child)[x])) {
                    path[n++] = child;
                    node = child;
                } else {
                    return new Acceptance(Arrays.copyOf(path, n), sampler.draw(p));
                }
            }
        }
    }

    /**
     * Draws {@code branches} children of the root from the draft's distribution (independently, or without
     * replacement), and one sampled child below each: a multi-branch sampled tree.
     */
    static final class BranchingDrafter implements Drafter {
        private final Transformer draft;
        private final int branches;
        private final boolean withoutReplacement;

        BranchingDrafter(Transformer draft, int branches, boolean withoutReplacement) {
            this.draft = draft;
            this.branches = branches;
            this.withoutReplacement = withoutReplacement;
        }

        public String name() {
            return "branching";
        }

        public DraftTree propose(TokenHistory h, int maxDepth, Sampler s) {
            float[] q0 = s.distribution(lastLogits(draft, h.toArray()));
            int nodes = maxDepth >= 2 ? branches * 2 : branches;
            int[] tokens = new int[nodes];
            int[] parents = new int[nodes];
            float[][] q = new float[nodes][];
            float[] remaining = q0.clone();
            for (int b = 0; b < branches; b++) {
                float[] from = withoutReplacement ? normalized(remaining) : q0;
                int x = s.draw(from);
                tokens[b] = x;
                parents[b] = -1;
                q[b] = withoutReplacement ? from : q0;
                if (withoutReplacement) {
                    remaining[x] = 0f;
                }
            }
            for (int b = 0; b < branches && nodes > branches; b++) {
                int node = branches + b;
                float[] q1 = s.distribution(lastLogits(draft, append(h.toArray(), tokens[b])));
                tokens[node] = s.draw(q1);
                parents[node] = b;
                q[node] = q1;
            }
            // without replacement, each sibling records the sibling distribution q0; the verifier renormalises
            if (withoutReplacement) {
                for (int b = 0; b < branches; b++) {
                    q[b] = q0;
                }
            }
            return new DraftTree(tokens, parents, q,
                    withoutReplacement ? DraftTree.Kind.SAMPLED_WITHOUT_REPLACEMENT : DraftTree.Kind.SAMPLED);
        }

        private static float[] normalized(float[] p) {
            double sum = 0;
            for (float v : p) {
                sum += v;
            }
            float[] out = new float[p.length];
            for (int i = 0; i < p.length; i++) {
                out[i] = (float) (p[i] / sum);
            }
            return out;
        }
    }
}
