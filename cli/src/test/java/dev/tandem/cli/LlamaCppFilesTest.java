package dev.tandem.cli;

import static dev.tandem.cli.CliTest.MODEL;
import static dev.tandem.cli.CliTest.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.tandem.api.Engine;
import dev.tandem.core.DType;
import dev.tandem.core.Quantization;
import dev.tandem.core.Tensor;
import dev.tandem.core.cpu.CpuBackend;
import dev.tandem.decoding.GenerationRequest;
import dev.tandem.decoding.GenerationResult;
import dev.tandem.decoding.SamplingParams;
import dev.tandem.decoding.TokenStream;
import dev.tandem.models.gguf.GgufFile;
import dev.tandem.models.gguf.GgufReader;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The files llama.cpp writes and the files we write, across the two engines. stories260K inflated to the
 * test-sized "mini" shape is written by {@code synth} as F32, then {@code llama-quantize} makes Q4_K_M, Q5_K_M,
 * Q6_K, Q3_K_M, Q2_K, Q4_1 and IQ4_NL files of it (mixes of Q2_K..Q6_K, Q4_0, Q4_1, Q5_0, Q5_1, Q8_0 and IQ4_NL
 * tensors). For each:
 * every tensor decodes here to exactly gguf-py's dequantization of the same file, and greedy text from
 * {@code tandem generate} starts as llama.cpp's own {@code llama-simple} does. Both engines round x to int8 for
 * the K-quants' and Q4_0's integer products, but each engine's other steps (attention, the KV cache's precision,
 * sums in their own order) move the logits too, so the texts may part at a near tie: where they part before the
 * characters asked for, our text with float activations must reach them (the Q2_K mix: its second generated token
 * is a tie within 0.01 of a logit, and x's rounding decides it). Needs the binaries of {@code bench/fixtures/llama-cpp-build.sh};
 * skips, saying so, without them.
 */
class LlamaCppFilesTest {
    private static final Path SOURCE = Path.of(System.getenv().getOrDefault("TANDEM_CACHE",
            System.getProperty("user.home") + "/.cache/tandem"), "llama.cpp");
    private static final Path BIN = SOURCE.resolve("build/bin");
    private static final String PROMPT = "Once upon a time";

    @TempDir
    Path dir;

    @Test
    void llamaQuantizeFilesDecodeAndRunHereAsInLlamaCpp() throws Exception {
        assumeTrue(Files.isExecutable(BIN.resolve("llama-quantize")) && Files.isExecutable(BIN.resolve("llama-simple")),
                "llama.cpp not built (run bench/fixtures/llama-cpp-build.sh)");
        assumeTrue(exec(List.of("python3", "-c", "import numpy")).code == 0, "python3 with numpy is not installed");
        Path f32 = dir.resolve("mini-f32.gguf");
        CliTest.Run synth = run("synth", "--shape", "mini", "--from", MODEL.toString(), "--dtype", "f32", "--out", f32.toString());
        assertEquals(0, synth.code(), synth.err());

        // llama.cpp runs the file we wrote, with our greedy text
        assertSameStart("F32 (written by synth)", f32, 60);

        Set<DType> seen = EnumSet.noneOf(DType.class);
        for (String mix : new String[] {"Q4_K_M", "Q5_K_M", "Q6_K", "Q3_K_M", "Q2_K", "Q4_1", "IQ4_NL"}) {
            Path q = dir.resolve("mini-" + mix + ".gguf");
            Result quantize = exec(List.of(BIN.resolve("llama-quantize").toString(), f32.toString(), q.toString(), mix));
            assertEquals(0, quantize.code, "llama-quantize " + mix + ": " + quantize.out);
            seen.addAll(decodesAsGgufPy(q));
            assertSameStart(mix, q, 30);
        }
        assertTrue(seen.containsAll(EnumSet.of(DType.Q2_K, DType.Q3_K, DType.Q4_K, DType.Q5_K, DType.Q6_K, DType.Q5_0, DType.Q5_1, DType.Q4_1,
                DType.IQ4_NL)), "the files exercised every K-quant, the 5-bit types, Q4_1 and IQ4_NL: " + seen);
    }

    /** Every tensor of the file, decoded by Tandem, equals gguf-py's dequantization bit for bit; returns the types seen. */
    private Set<DType> decodesAsGgufPy(Path file) throws Exception {
        Path values = dir.resolve("values.f32");
        String script = String.join("\n",
                "import sys, numpy as np",
                "sys.path.insert(0, sys.argv[1])",
                "from gguf import GGUFReader, quants",
                "with open(sys.argv[3], 'wb') as out:",
                "    for t in GGUFReader(sys.argv[2]).tensors:",
                "        v = quants.dequantize(t.data, t.tensor_type).astype('<f4').ravel()",
                "        out.write(v.tobytes())",
                "        print(t.name, v.size)");
        Result py = exec(List.of("python3", "-c", script, SOURCE.resolve("gguf-py").toString(), file.toString(), values.toString()));
        assertEquals(0, py.code, "gguf-py read " + file.getFileName() + ": " + py.out);
        ByteBuffer ref = ByteBuffer.wrap(Files.readAllBytes(values)).order(ByteOrder.LITTLE_ENDIAN);
        Set<DType> types = EnumSet.noneOf(DType.class);
        try (Arena arena = Arena.ofShared()) {
            GgufFile f = GgufReader.read(file, arena);
            int at = 0;
            for (String line : py.out.strip().split("\n")) {
                String[] nameCount = line.split(" ");
                GgufFile.TensorInfo info = f.tensors().get(nameCount[0]);
                int n = Integer.parseInt(nameCount[1]);
                int cols = (int) info.dims()[0];
                Tensor t = f.tensor(info.name(), n / cols, cols);
                types.add(t.dtype());
                float[] ours = new float[n];
                Quantization.decode(t.dtype(), t.segment(), 0, n, ours, 0);
                for (int i = 0; i < n; i++, at++) {
                    float r = ref.getFloat(4 * at);
                    if (Float.floatToIntBits(r) != Float.floatToIntBits(ours[i])) {
                        throw new AssertionError(file.getFileName() + " " + info.name() + " (" + t.dtype() + ") value " + i
                                + ": gguf-py " + r + ", ours " + ours[i]);
                    }
                }
            }
            assertEquals(ref.capacity(), 4 * at, "every value compared");
        }
        return types;
    }

    /**
     * The other direction: every type Tandem writes loads and runs in llama.cpp; for F32, F16, BF16 and Q8_0
     * its greedy text is ours. Q4_0, Q4_1, IQ4_NL and the 2- and 3-bit types (stories260K loses most of its quality
     * to them) only run there; they are checked where they are exact instead (here and in the K-quant test below): our Q4_0, Q4_1 and Q8_0 bytes equal llama-quantize's ({@code --pure}, so every
     * matrix takes that type) tensor for tensor. (Their text parts from ours after a few words: llama.cpp
     * multiplies them by activations rounded to 8 bits, we by the float activations.)
     */
    @Test
    void filesTandemWritesRunInLlamaCppAndQuantizeAsItDoes() throws Exception {
        assumeTrue(Files.isExecutable(BIN.resolve("llama-quantize")) && Files.isExecutable(BIN.resolve("llama-simple")),
                "llama.cpp not built (run bench/fixtures/llama-cpp-build.sh)");
        for (String type : new DTypeNames()) {
            Path file = dir.resolve("ours-" + type + ".gguf");
            CliTest.Run convert = run("convert", "--model", MODEL.toString(), "--dtype", type, "--out", file.toString());
            assertEquals(0, convert.code(), convert.err());
            if (List.of("q4_0", "q4_1", "iq4_nl", "q3_k", "q2_k", "q2_k_m", "q3_k_s", "q3_k_m", "q3_k_l").contains(type)) {
                Result runs = exec(List.of(BIN.resolve("llama-simple").toString(), "-m", file.toString(), "-n", "20", PROMPT));
                assertEquals(0, runs.code, "llama-simple on our " + type + ": " + runs.out);
            } else {
                assertSameStart(type + " written by tandem convert", file, 60);
            }
        }
        Path f32 = dir.resolve("ours-f32.gguf");
        for (String type : new String[] {"Q8_0", "Q4_0", "Q4_1"}) {
            Path theirs = dir.resolve("theirs-" + type + ".gguf");
            Result quantize = exec(List.of(BIN.resolve("llama-quantize").toString(), "--pure", f32.toString(), theirs.toString(), type));
            assertEquals(0, quantize.code, "llama-quantize " + type + ": " + quantize.out);
            int compared = assertSameTensorBytes(dir.resolve("ours-" + type.toLowerCase(java.util.Locale.ROOT) + ".gguf"), theirs,
                    DType.valueOf(type));
            assertTrue(compared >= 30, type + ": " + compared + " tensors compared");
        }
    }

    /**
     * synth's families at a test size, in F32 ({@link dev.tandem.models.convert.SyntheticModel#testSized}): Qwen2.5's
     * qwen2 layout (q/k/v biases, half-split RoPE, tied classifier), Llama 3.2's (tied, Llama 3 RoPE factors as
     * rope_freqs.weight) and Mistral's: llama.cpp's greedy text on each is ours, token for token (random weights, but
     * the top logits are far apart against float rounding at these sizes).
     */
    @Test
    void syntheticFamilyLayoutsDecodeAsInLlamaCpp() throws Exception {
        assumeTrue(Files.isExecutable(BIN.resolve("llama-simple")), "llama.cpp not built (run bench/fixtures/llama-cpp-build.sh)");
        for (String family : new String[] {"qwen2.5-0.5b", "llama3.2-1b", "mistral-7b"}) {
            Path file = dir.resolve(family + ".gguf");
            dev.tandem.models.convert.SyntheticModel.plan(dev.tandem.models.convert.SyntheticModel.testSized(family),
                    "test-sized " + family, dev.tandem.models.convert.QuantMix.of(DType.F32), 5).write(file, done -> {});
            CliTest.Run ours = run("generate", "a b c", "--model", file.toString(), "--max-new-tokens", "12", "--temperature", "0");
            assertEquals(0, ours.code(), ours.err());
            Result theirs = exec(List.of(BIN.resolve("llama-simple").toString(), "-m", file.toString(), "-n", "12", "a b c"));
            assertEquals(0, theirs.code, "llama-simple on " + family + ": " + theirs.out);
            assertEquals(theirs.out.replace("<s>", "").strip(), ours.out().strip(), family);
        }
    }

    /**
     * YaRN from GGUF metadata ({@code rope.scaling.type = yarn}, factor 16 over an original context of 32 positions,
     * on the test-sized Mistral layout, whose classifier is its own): llama.cpp's greedy text is ours, also on the file
     * {@code convert} writes of it (the scaling as rope_freqs.weight and rope.scaling.attn_factor), and differs from the
     * same weights' without the scaling (so the check sees it).
     */
    @Test
    void yarnScalingDecodesAsInLlamaCpp() throws Exception {
        assumeTrue(Files.isExecutable(BIN.resolve("llama-simple")), "llama.cpp not built (run bench/fixtures/llama-cpp-build.sh)");
        String prompt = "z y x w v u t s r q p o n m l k j i h g f e d c b a";
        Path plain = dir.resolve("plain.gguf"), yarn = dir.resolve("yarn.gguf");
        dev.tandem.models.convert.SyntheticModel.plan(dev.tandem.models.convert.SyntheticModel.testSized("mistral-7b"), "plain",
                dev.tandem.models.convert.QuantMix.of(DType.F32), 9).write(plain, done -> {});
        dev.tandem.models.convert.SyntheticModel.plan(dev.tandem.models.convert.SyntheticModel.testSized("mistral-7b"), "yarn",
                dev.tandem.models.convert.QuantMix.of(DType.F32), 9)
                .put("llama.rope.scaling.type", "yarn").put("llama.rope.scaling.factor", 16f)
                .put("llama.rope.scaling.original_context_length", 32).write(yarn, done -> {});
        CliTest.Run ours = run("generate", prompt, "--model", yarn.toString(), "--max-new-tokens", "24", "--temperature", "0");
        assertEquals(0, ours.code(), ours.err());
        Result theirs = exec(List.of(BIN.resolve("llama-simple").toString(), "-m", yarn.toString(), "-n", "24", prompt));
        assertEquals(0, theirs.code, "llama-simple: " + theirs.out);
        assertEquals(theirs.out.replace("<s>", "").strip(), ours.out().strip());
        Path converted = dir.resolve("yarn-converted.gguf"); // YaRN as rope_freqs.weight and rope.scaling.attn_factor
        CliTest.Run convert = run("convert", "--model", yarn.toString(), "--out", converted.toString());
        assertEquals(0, convert.code(), convert.err());
        Result again = exec(List.of(BIN.resolve("llama-simple").toString(), "-m", converted.toString(), "-n", "24", prompt));
        assertEquals(theirs.out, again.out, "llama.cpp on our conversion");
        CliTest.Run unscaled = run("generate", prompt, "--model", plain.toString(), "--max-new-tokens", "24", "--temperature", "0");
        assertTrue(!unscaled.out().strip().equals(ours.out().strip()), "YaRN changed nothing: " + unscaled.out());
    }

    /**
     * K-quants and llama.cpp's mixes, written by us and by {@code llama-quantize} from the same F32 file (stories260K
     * inflated to the "mini" shape, whose rows hold whole 256-value super-blocks): Q2_K, Q3_K, Q4_K, Q5_K, Q6_K and
     * IQ4_NL ({@code --pure}) tensor for tensor the same bytes (44 matrices of whole super-blocks, 51 of whole 32-value
     * blocks for IQ4_NL); Q4_K_S/M, Q5_K_S/M, Q3_K_S/M/L and Q2_K (ours {@code q2_k_m}) every tensor the same type and the same bytes, so the
     * per-tensor rules (Q6_K classifier, Q6_K {@code attn_v}/{@code ffn_down} on the layers llama.cpp picks) and
     * the fallbacks for rows that are not whole super-blocks (Q5_0, Q5_1) are llama.cpp's.
     */
    @Test
    void kQuantFilesWeWriteAreTheFilesLlamaQuantizeWrites() throws Exception {
        assumeTrue(Files.isExecutable(BIN.resolve("llama-quantize")), "llama.cpp not built (run bench/fixtures/llama-cpp-build.sh)");
        Path f32 = dir.resolve("mini-f32.gguf");
        CliTest.Run synth = run("synth", "--shape", "mini", "--from", MODEL.toString(), "--dtype", "f32", "--out", f32.toString());
        assertEquals(0, synth.code(), synth.err());
        for (String type : new String[] {"Q4_K", "Q5_K", "Q6_K", "Q3_K", "Q2_K", "IQ4_NL", "Q4_K_M", "Q5_K_M", "Q3_K_S", "Q3_K_M", "Q3_K_L",
                "Q4_K_S", "Q5_K_S", "Q2_K_M"}) {
            boolean mix = type.matches(".*_[SML]");
            Path ours = dir.resolve("ours-" + type + ".gguf"), theirs = dir.resolve("theirs-" + type + ".gguf");
            CliTest.Run convert = run("convert", "--model", f32.toString(), "--dtype", type.toLowerCase(java.util.Locale.ROOT),
                    "--out", ours.toString());
            String theirName = type.equals("Q2_K_M") ? "Q2_K" : type; // llama-quantize's Q2_K is the mix ("Q2_K - Medium")
            assertEquals(0, convert.code(), convert.err());
            List<String> quantize = new java.util.ArrayList<>(List.of(BIN.resolve("llama-quantize").toString()));
            if (!mix) {
                quantize.add("--pure");
            }
            quantize.addAll(List.of(f32.toString(), theirs.toString(), theirName));
            Result q = exec(quantize);
            assertEquals(0, q.code, "llama-quantize " + type + ": " + q.out);
            if (mix) {
                assertEquals(66, assertSameTensors(ours, theirs), type + ": every tensor");
            } else {
                assertEquals(type.equals("IQ4_NL") ? 51 : 44, assertSameTensorBytes(ours, theirs, DType.valueOf(type)),
                        type + ": every matrix of whole blocks");
            }
        }
    }

    /** Every tensor has the same type and bytes in both files; returns how many. */
    private static int assertSameTensors(Path ours, Path theirs) throws IOException {
        return compareTensors(ours, theirs, null);
    }

    /**
     * Tensors both files store in the same type have the same bytes (fallback types included); returns how many
     * are {@code type}. (Matrices whose rows do not hold whole 32-value blocks stay unquantized, in F32 here and
     * F16 in llama-quantize: those are not compared.)
     */
    private static int assertSameTensorBytes(Path ours, Path theirs, DType type) throws IOException {
        return compareTensors(ours, theirs, type);
    }

    /**
     * The two files hold the same tensors with the same bytes. With {@code type} null every tensor must have the
     * same type, and all are counted; else an F32 tensor here may be F16 there (not compared), and only
     * {@code type} tensors are counted.
     */
    private static int compareTensors(Path ours, Path theirs, DType type) throws IOException {
        int counted = 0;
        try (Arena arena = Arena.ofShared()) {
            GgufFile a = GgufReader.read(ours, arena);
            GgufFile b = GgufReader.read(theirs, arena);
            assertEquals(a.tensors().keySet(), b.tensors().keySet(), "the same tensors");
            for (GgufFile.TensorInfo info : a.tensors().values()) {
                int cols = (int) info.dims()[0];
                Tensor x = a.tensor(info.name(), (int) (info.elements() / cols), cols);
                Tensor y = b.tensor(info.name(), (int) (info.elements() / cols), cols);
                if (type == null) {
                    assertEquals(y.dtype(), x.dtype(), info.name() + ": type");
                } else if (x.dtype() != y.dtype()) { // rows that are not whole 32-value blocks: F32 here, F16 in llama.cpp
                    assertTrue(x.dtype() == DType.F32 && y.dtype() == DType.F16, info.name() + ": " + x.dtype() + " here, " + y.dtype() + " there");
                    continue;
                }
                assertEquals(-1L, x.segment().mismatch(y.segment()), info.name() + " (" + x.dtype() + "): bytes differ from llama-quantize's");
                if (type == null || x.dtype() == type) {
                    counted++;
                }
            }
        }
        return counted;
    }

    /**
     * Greedy text of both engines on the file starts with the same {@code chars} characters at least: ours as
     * {@code generate} writes it, or, where that parts earlier, ours with float activations.
     */
    private static void assertSameStart(String what, Path file, int chars) throws Exception {
        CliTest.Run ours = run("generate", PROMPT, "--model", file.toString(), "--max-new-tokens", "40", "--temperature", "0");
        assertEquals(0, ours.code(), ours.err());
        Result theirs = exec(List.of(BIN.resolve("llama-simple").toString(), "-m", file.toString(), "-n", "40", PROMPT));
        assertEquals(0, theirs.code, "llama-simple on " + what + ": " + theirs.out);
        String a = ours.out().strip(), b = theirs.out.replace("<s>", "").strip();
        if (same(a, b) < chars) {
            try (Engine floats = Engine.builder(file).backend(new CpuBackend(2, CpuBackend.Activations.FLOAT)).batching(false).build()) {
                GenerationResult r = floats.generate(new GenerationRequest(floats.encode(PROMPT), 40, new SamplingParams(0f, 0, 1f, 0f, 42)),
                        "ar", TokenStream.NONE);
                String f = (PROMPT + r.text()).strip();
                assertTrue(same(f, b) >= chars, what + ": the two engines' text parts after " + same(a, b) + " characters, "
                        + same(f, b) + " with float activations\nours:      " + a + "\nours (float x): " + f + "\nllama.cpp: " + b);
            }
        }
    }

    /** The length of the common start of a and b. */
    private static int same(String a, String b) {
        int same = 0;
        while (same < Math.min(a.length(), b.length()) && a.charAt(same) == b.charAt(same)) {
            same++;
        }
        return same;
    }

    private record Result(int code, String out) {}

    /** Runs a command; its stdout (stderr discarded: llama.cpp's logs). */
    private static Result exec(List<String> cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            return new Result(-1, "timed out");
        }
        return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8));
    }
}
