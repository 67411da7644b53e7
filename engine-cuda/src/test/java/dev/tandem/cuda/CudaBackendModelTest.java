package dev.tandem.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tandem.core.HeadsOnDevice;
import dev.tandem.core.cpu.CpuBackend;
import dev.tandem.decoding.AutoregressiveGenerator;
import dev.tandem.decoding.GenerationRequest;
import dev.tandem.decoding.GenerationResult;
import dev.tandem.decoding.MethodOptions;
import dev.tandem.decoding.Methods;
import dev.tandem.decoding.SamplingParams;
import dev.tandem.decoding.TokenStream;
import dev.tandem.decoding.heads.DistillationCorpus;
import dev.tandem.decoding.heads.HeadKind;
import dev.tandem.decoding.heads.Heads;
import dev.tandem.decoding.heads.HeadsFile;
import dev.tandem.decoding.heads.HeadsTrainer;
import dev.tandem.decoding.heads.TransferMaps;
import dev.tandem.models.Batch;
import dev.tandem.models.ForwardResult;
import dev.tandem.models.Llama2cTokenizer;
import dev.tandem.models.Model;
import dev.tandem.models.ModelLoader;
import dev.tandem.models.Tokenizer;
import dev.tandem.models.Transformer;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * stories260K on the CUDA backend (emulated on the CPU) against the CPU backend: logits of a prompt
 * agree to a tolerance, greedy decoding gives the same tokens, and the tree-verifying methods (lookup,
 * draft model, cascade, Medusa and Cerberus heads, Hidden Transfer with its pseudo rows) give plain greedy decoding's tokens.
 */
class CudaBackendModelTest {
    static final Path SHARED = Path.of(System.getProperty("tandem.shared", "../shared"));
    static final String PROMPT = "Once upon a time, there was a little girl named Lily.";
    static final int NEW_TOKENS = 48;
    @TempDir
    static Path dir;
    private static Model model;
    private static Tokenizer tokenizer;
    private static CpuBackend cpu;
    private static CudaBackend cuda;
    private static int[] greedy;

    @BeforeAll
    static void load() {
        EmulationAvailable.assume();
        model = ModelLoader.load(SHARED.resolve("models/stories260k/stories260K.bin"));
        tokenizer = Llama2cTokenizer.load(SHARED.resolve("models/stories260k/tok512.bin"), 512);
        cpu = new CpuBackend(1, CpuBackend.Activations.FLOAT); // x as floats, as the CUDA kernels take it
        cuda = CudaBackend.emulated();
        greedy = new AutoregressiveGenerator(new Transformer(model, cpu), tokenizer).generate(request(), TokenStream.NONE).tokens();
    }

    @AfterAll
    static void close() {
        if (cuda != null) {
            cuda.close();
            cpu.close();
            model.close();
        }
    }

    static GenerationRequest request() {
        return new GenerationRequest(tokenizer.encode(PROMPT, true, false), NEW_TOKENS, SamplingParams.GREEDY);
    }

    @Test
    void promptLogitsAgreeWithTheCpuBackend() {
        int[] prompt = tokenizer.encode(PROMPT, true, false);
        ForwardResult expected = new Transformer(model, cpu).forward(Batch.chain(prompt));
        ForwardResult actual = new Transformer(model, cuda).forward(Batch.chain(prompt));
        for (int row = 0; row < prompt.length; row++) {
            float[] e = expected.logits(row);
            float[] a = actual.logits(row);
            float worst = 0f;
            for (int i = 0; i < e.length; i++) {
                worst = Math.max(worst, Math.abs(e[i] - a[i]));
            }
            assertTrue(worst < 1e-3f, "row " + row + ": logits differ by up to " + worst);
            assertEquals(expected.argmax(row), actual.argmax(row), "row " + row);
        }
    }

    @Test
    void greedyDecodingGivesTheCpuBackendsTokens() {
        GenerationResult r = new AutoregressiveGenerator(new Transformer(model, cuda), tokenizer).generate(request(), TokenStream.NONE);
        assertArrayEquals(greedy, r.tokens());
    }

    @Test
    void treeVerifyingMethodsAreLosslessOnTheCudaBackend() {
        Path medusa = dir.resolve("medusa.safetensors");
        Path cerberus = dir.resolve("cerberus.safetensors");
        DistillationCorpus corpus = DistillationCorpus.generate(new Transformer(model, cpu), tokenizer, 1200, 100, 3, n -> {});
        for (HeadKind kind : HeadKind.values()) {
            HeadsTrainer.Result r = new HeadsTrainer(model, cpu, new HeadsTrainer.Settings(kind, 3, 1, 32, 0.003f, 5))
                    .train(corpus, null, (e, es, s, ss, loss, pps) -> {});
            HeadsFile.save(kind == HeadKind.MEDUSA ? medusa : cerberus, r.heads(), Map.of());
        }
        Path transfer = dir.resolve("hidden-transfer.safetensors");
        TransferMaps.fit(corpus.layerStates(new Transformer(model, cpu), 1), 1, 2, model.name(), null).save(transfer, Map.of());
        Map<String, MethodOptions> methods = Map.of(
                "lookup", MethodOptions.builder().draftLength(4).build(),
                "draft", MethodOptions.builder().draftLength(3).draftLayers(List.of(2)).build(),
                "csd", MethodOptions.defaults(),
                "medusa", MethodOptions.builder().treeBudget(16).branching(3).heads(medusa).gateEntropy(0).build(),
                "cerberus", MethodOptions.builder().draftLength(2).treeBudget(5).branching(2).heads(cerberus).gateEntropy(1.5).build(),
                "hidden-transfer", MethodOptions.builder().treeBudget(12).branching(3).heads(transfer).gateEntropy(0).build());
        headsTopKOnTheDeviceEqualsTheCpuHeads(medusa);
        headsTopKOnTheDeviceEqualsTheCpuHeads(cerberus);
        for (var m : methods.entrySet()) {
            GenerationResult r = Methods.create(m.getKey(), new Transformer(model, cuda), tokenizer, m.getValue())
                    .generate(request(), TokenStream.NONE);
            assertArrayEquals(greedy, r.tokens(), m.getKey() + " on the CUDA backend");
        }
    }

    /** The device's heads drafting (blocks, classifier, top-k on the device) picks the CPU heads' top tokens. */
    static void headsTopKOnTheDeviceEqualsTheCpuHeads(Path file) {
        Heads heads = HeadsFile.load(file, model.config());
        float[][] w = new float[heads.count()][];
        float[][] b = new float[heads.count()][];
        for (int k = 0; k < heads.count(); k++) {
            w[k] = heads.weights(k);
            b[k] = heads.bias(k);
        }
        CudaBackend.DeviceHeads onDevice = cuda.uploadHeads(w, b, heads.dim(), heads.kind() == HeadKind.CERBERUS);
        int[] prompt = tokenizer.encode(PROMPT, true, false);
        ForwardResult r = new Transformer(model, cpu).forward(Batch.chain(prompt).withHiddenStates());
        for (int row = 2; row < prompt.length; row += 3) {
            float[] h = r.hiddenState(row);
            int pending = r.argmax(row);
            float[][] expected = heads.logits(h, pending, model.weights().classifier(), model.weights().tokenEmbedding(), cpu);
            HeadsOnDevice.TopTokens actual = cuda.headsTopK(onDevice, h, pending, model.weights().classifier(),
                    model.weights().tokenEmbedding(), 4);
            for (int k = 0; k < heads.count(); k++) {
                Integer[] order = new Integer[expected[k].length];
                for (int i = 0; i < order.length; i++) {
                    order[i] = i;
                }
                float[] lk = expected[k];
                java.util.Arrays.sort(order, (x, y) -> lk[x] != lk[y] ? Float.compare(lk[y], lk[x]) : Integer.compare(x, y));
                for (int j = 0; j < 4; j++) {
                    assertEquals(order[j], actual.tokens()[k][j], heads.kind() + " head " + k + " rank " + j + " at row " + row);
                    assertEquals(dev.tandem.core.HostMath.softmax(lk)[order[j]], actual.probs()[k][j], 1e-4f, "its probability");
                }
            }
        }
    }

    @Test
    void greedyAcceptanceOnTheDeviceFollowsTheTargetsArgmax() {
        int[] prompt = tokenizer.encode(PROMPT, true, false);
        Transformer t = new Transformer(model, cuda);
        t.forward(Batch.chain(prompt));
        t.cache().commitChain(prompt.length);
        int pending = greedy[0];
        // a tree whose first branch follows greedy decoding for two tokens and whose second is off by one
        int[] tokens = {pending, greedy[1], (greedy[1] + 1) % 512, greedy[2], (greedy[3] + 1) % 512};
        int[] parents = {-1, 0, 0, 1, 3};
        ForwardResult r = t.forward(Batch.tree(tokens, parents));
        int[] accepted = cuda.acceptGreedy(logitsOf(r), tokens, parents);
        assertArrayEquals(new int[] {2, 1, 3, greedy[3]}, accepted, "rows 1 and 3 accepted, then greedy's fourth token");
    }

    /** The pass's logits as a device tensor, one row per batch row. */
    private static dev.tandem.core.Tensor logitsOf(ForwardResult r) {
        int vocab = model.config().vocabSize();
        dev.tandem.core.Tensor t = cuda.allocate(r.rows(), vocab);
        for (int row = 0; row < r.rows(); row++) {
            cuda.copyRows(dev.tandem.core.Tensor.wrap(r.logits(row), 1, vocab), 0, t, row, 1);
        }
        return t;
    }

    @Test
    void weightsAreUploadedOnceAcrossGenerations() {
        new AutoregressiveGenerator(new Transformer(model, cuda), tokenizer).generate(request(), TokenStream.NONE);
        long after = cuda.uploadedWeightBytes();
        new AutoregressiveGenerator(new Transformer(model, cuda), tokenizer).generate(request(), TokenStream.NONE);
        assertEquals(after, cuda.uploadedWeightBytes(), "a second generation uploads no weight again");
        assertTrue(after > 0);
    }
}
