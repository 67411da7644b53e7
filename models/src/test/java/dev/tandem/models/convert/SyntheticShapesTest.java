package dev.tandem.models.convert;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tandem.core.cpu.CpuBackend;
import dev.tandem.models.Batch;
import dev.tandem.models.ForwardResult;
import dev.tandem.models.LlamaConfig;
import dev.tandem.models.Model;
import dev.tandem.models.ModelLoader;
import dev.tandem.models.Transformer;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** synth's shapes of Qwen2.5, Llama 3.2 and Mistral: their published sizes, and each family's file layout loading and decoding. */
class SyntheticShapesTest {
    @Test
    void namedShapesHaveThePublishedHyperParameters() {
        LlamaConfig q = SyntheticModel.shape("qwen2.5-0.5b");
        assertEquals(List.of(896, 4864, 24, 14, 2, 151936, 32768), List.of(q.dim(), q.hiddenDim(), q.layers(), q.heads(),
                q.kvHeads(), q.vocabSize(), q.contextLength()));
        assertEquals("qwen2", q.architecture());
        assertTrue(q.rope().halfSplit() && q.sharedClassifier());
        assertEquals(1e6f, q.ropeTheta());
        LlamaConfig l = SyntheticModel.shape("llama3.2-1b");
        assertEquals(List.of(2048, 8192, 16, 32, 8, 128256, 131072), List.of(l.dim(), l.hiddenDim(), l.layers(), l.heads(),
                l.kvHeads(), l.vocabSize(), l.contextLength()));
        assertTrue(l.sharedClassifier() && !l.rope().halfSplit());
        float[] f = l.rope().freqFactors();
        assertEquals(32, f.length);
        assertEquals(1f, f[0], "the fastest pairs are not scaled");
        assertEquals(32f, f[31], "the slowest by the factor");
        LlamaConfig m = SyntheticModel.shape("mistral-7b");
        assertEquals(List.of(4096, 14336, 32, 32, 8, 32768, 32768), List.of(m.dim(), m.hiddenDim(), m.layers(), m.heads(),
                m.kvHeads(), m.vocabSize(), m.contextLength()));
        assertEquals(1e6f, m.ropeTheta());
        assertTrue(!m.sharedClassifier() && m.rope().freqFactors() == null);
    }

    /**
     * wide, the weight-bound model of the batching measurements (docs/SERVER.md): 394 MiB of F32 matrices, far beyond
     * the caches (and the 32 MB over which the engine batches by default), with stories260K's vocabulary size.
     */
    @Test
    void wideIsBeyondTheCachesWithStoriesVocabulary() {
        LlamaConfig w = SyntheticModel.shape("wide");
        assertEquals(List.of(1024, 2816, 8, 16, 16, 512), List.of(w.dim(), w.hiddenDim(), w.layers(), w.heads(), w.kvHeads(),
                w.vocabSize()));
        assertTrue(w.sharedClassifier());
        long matrices = (long) w.layers() * (2L * w.dim() * w.dim() + 2L * w.dim() * w.kvDim() + 3L * w.dim() * w.hiddenDim())
                + (long) w.vocabSize() * w.dim();
        assertEquals(394, matrices * Float.BYTES >> 20, "MiB of F32 weights");
    }

    /** Each family's layout at a test size (same architecture, RoPE, GQA ratio and classifier): written, loaded, decoded. */
    @Test
    void eachFamilyLayoutLoadsAndDecodes(@TempDir Path dir) {
        for (String name : new String[] {"qwen2.5-0.5b", "llama3.2-1b", "mistral-7b"}) {
            LlamaConfig c = SyntheticModel.testSized(name);
            Path file = dir.resolve(name + ".gguf");
            SyntheticModel.plan(c, "test-sized " + name, QuantMix.parse("q8_0"), 3).write(file, done -> {});
            try (Model model = ModelLoader.load(file); CpuBackend backend = new CpuBackend(1)) {
                LlamaConfig back = model.config();
                assertEquals(c.architecture(), back.architecture(), name);
                assertEquals(c.sharedClassifier(), back.sharedClassifier(), name);
                assertEquals(c.rope().halfSplit(), back.rope().halfSplit(), name);
                assertEquals(c.ropeTheta(), back.ropeTheta(), name);
                assertArrayEquals(c.rope().freqFactors(), back.rope().freqFactors(), name);
                assertEquals(c.normEps(), back.normEps(), name);
                if (c.architecture().equals("qwen2")) {
                    assertNotNull(model.weights().layers().get(0).bq(), name + ": q/k/v biases");
                } else {
                    assertNull(model.weights().layers().get(0).bq(), name);
                }
                if (c.sharedClassifier()) {
                    assertEquals(model.weights().tokenEmbedding(), model.weights().classifier(), name + ": tied classifier");
                }
                Transformer t = new Transformer(model, backend, 16);
                int token = 1;
                for (int i = 0; i < 8; i++) {
                    ForwardResult r = t.forward(Batch.chain(token));
                    float[] logits = r.logits(0);
                    assertEquals(c.vocabSize(), logits.length);
                    int best = 0;
                    for (int v = 0; v < logits.length; v++) {
                        assertTrue(Float.isFinite(logits[v]), name + ": logit " + v + " at step " + i);
                        best = logits[v] > logits[best] ? v : best;
                    }
                    token = best;
                }
            }
        }
    }

    /** YaRN from GGUF metadata reaches the rotation; formats that cannot carry it refuse it rather than drop it. */
    @Test
    void yarnScalingIsReadAndNotDroppedByConversion(@TempDir Path dir) {
        Path file = dir.resolve("yarn.gguf");
        SyntheticModel.plan(SyntheticModel.testSized("mistral-7b"), "yarn", QuantMix.parse("f32"), 3)
                .put("llama.rope.scaling.type", "yarn").put("llama.rope.scaling.factor", 4f)
                .put("llama.rope.scaling.original_context_length", 32).write(file, done -> {});
        try (Model model = ModelLoader.load(file)) {
            dev.tandem.core.Rope r = model.config().rope();
            assertArrayEquals(dev.tandem.core.Rope.yarnFactors(16, r.theta(), 4f, 32, 32f, 1f), r.freqFactors());
            assertEquals(dev.tandem.core.Rope.yarnMagnitude(4f, 1f), r.magnitude());
            assertTrue(org.junit.jupiter.api.Assertions.assertThrows(dev.tandem.core.TandemException.class,
                    () -> HfExport.write(model, null, dir.resolve("hf"), done -> {})).getMessage().contains("RoPE"));
            assertTrue(org.junit.jupiter.api.Assertions.assertThrows(dev.tandem.core.TandemException.class,
                    () -> Llama2cExport.write(model, dir.resolve("m.bin"), done -> {})).getMessage().contains("scaling"));
        }
        Path magnitudeOnly = dir.resolve("attn-factor.gguf"); // rope.scaling.attn_factor alone: no factors, a magnitude
        SyntheticModel.plan(SyntheticModel.testSized("mistral-7b"), "attn", QuantMix.parse("f32"), 3)
                .put("llama.rope.scaling.attn_factor", 1.5f).write(magnitudeOnly, done -> {});
        try (Model model = ModelLoader.load(magnitudeOnly)) {
            assertNull(model.config().rope().freqFactors());
            assertEquals(1.5f, model.config().rope().magnitude());
            org.junit.jupiter.api.Assertions.assertThrows(dev.tandem.core.TandemException.class,
                    () -> HfExport.write(model, null, dir.resolve("hf2"), done -> {}));
            org.junit.jupiter.api.Assertions.assertThrows(dev.tandem.core.TandemException.class,
                    () -> Llama2cExport.write(model, dir.resolve("m2.bin"), done -> {}));
            // synth --from would write the bigger shape with theta alone, dropping the magnitude
            assertTrue(org.junit.jupiter.api.Assertions.assertThrows(dev.tandem.core.TandemException.class,
                    () -> InflatedModel.config(model.config(), SyntheticModel.shape("mistral-7b"))).getMessage().contains("RoPE scaling"));
        }
    }
}
