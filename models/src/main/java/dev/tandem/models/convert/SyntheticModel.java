package dev.tandem.models.convert;

import dev.tandem.core.DType;
import dev.tandem.core.Rope;
import dev.tandem.core.Quantization;
import dev.tandem.core.TandemException;
import dev.tandem.models.LlamaConfig;
import dev.tandem.models.gguf.GgufWriter;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.LongConsumer;
import java.util.stream.IntStream;

/**
 * Seeded random-weight models in the shapes of real ones, written as GGUF, for speed work: the weights are
 * uniform with standard deviation 0.02 (norms 1), so the text they produce is meaningless. Each row is drawn
 * from its own seeded generator, so a file is the same whatever the number of threads writing it.
 */
public final class SyntheticModel {
    /**
     * Known shapes: name to configuration, with the published hyper-parameters of the model each is named after and
     * its family's file layout: architecture "llama" with adjacent RoPE pairs, or "qwen2" (half-split RoPE, q/k/v
     * biases); a classifier of its own, or tied to the token embedding (no {@code output.weight}); Llama 3 RoPE
     * frequency factors as {@code rope_freqs.weight}. The vocabulary is always the filler one of {@link #vocabulary}.
     */
    public static final Map<String, LlamaConfig> SHAPES = Map.of(
            "tinyllama-1.1b", new LlamaConfig(2048, 5632, 22, 32, 4, 32000, 2048, 1e-5f, 10000f, false),
            "llama2-7b", new LlamaConfig(4096, 11008, 32, 32, 32, 32000, 4096, 1e-5f, 10000f, false),
            "llama3-8b", new LlamaConfig(4096, 14336, 32, 32, 8, 128256, 8192, 1e-5f, 500000f, false),
            // Qwen2.5-0.5B: 14 query heads on 2 kv heads, rows of 896 (not whole K-quant super-blocks), tied classifier
            "qwen2.5-0.5b", new LlamaConfig(896, 4864, 24, 14, 2, 151936, 32768, 1e-6f, new Rope(1000000f, true, null),
                    true, "qwen2"),
            // Llama 3.2 1B: tied classifier, RoPE scaled as Llama 3.1+ (factor 32, original context 8192)
            "llama3.2-1b", new LlamaConfig(2048, 8192, 16, 32, 8, 128256, 131072, 1e-5f,
                    new Rope(500000f, false, Rope.llama3Factors(64, 500000f, 32f, 1f, 4f, 8192)), true, "llama"),
            // Mistral 7B v0.3
            "mistral-7b", new LlamaConfig(4096, 14336, 32, 32, 8, 32768, 32768, 1e-5f, 1000000f, false),
            // bigger than the caches yet quick to write (394 MB in F32), so a pass is bound by reading its weights: the
            // case batching is built for; vocabulary 512, so stories260K's prompts fit
            "wide", new LlamaConfig(1024, 2816, 8, 16, 16, 512, 512, 1e-5f, 10000f, true),
            "tiny", new LlamaConfig(64, 128, 2, 4, 2, 512, 256, 1e-5f, 10000f, false),
            // test-sized target of synth --from stories260K: twice its head size, more layers, wider GQA groups
            "mini", new LlamaConfig(256, 384, 7, 16, 4, 512, 256, 1e-5f, 10000f, false));
    private static final float STD = 0.02f;

    private SyntheticModel() {}

    public static LlamaConfig shape(String name) {
        LlamaConfig c = SHAPES.get(name);
        if (c == null) {
            throw new TandemException("unknown shape '" + name + "' (known: " + String.join(", ", SHAPES.keySet().stream().sorted().toList()) + ")");
        }
        return c;
    }

    /**
     * Shape {@code name} at a test size, its family's traits kept (architecture, RoPE style and scaling, query heads per
     * kv head, tied classifier, norm epsilon): head size 16, two layers, feed-forward 256, a 512-token vocabulary,
     * 128 positions.
     */
    public static LlamaConfig testSized(String name) {
        LlamaConfig c = shape(name);
        int headSize = 16;
        Rope r = c.rope();
        float[] factors = r.freqFactors() == null ? null : Rope.llama3Factors(headSize, r.theta(), 32f, 1f, 4f, 8192);
        return new LlamaConfig(c.heads() * headSize, 256, 2, c.heads(), c.kvHeads(), 512, 128, c.normEps(),
                new Rope(r.theta(), r.halfSplit(), factors), c.sharedClassifier(), c.architecture());
    }

    /** A writer for the model, its matrices stored as {@code mix} says. */
    public static GgufWriter plan(String shapeName, QuantMix mix, long seed) {
        return plan(shape(shapeName), "synthetic " + shapeName + " (random weights)", mix, seed);
    }

    /** A writer for a model of configuration {@code c} in its family's layout (see {@link #SHAPES}). */
    public static GgufWriter plan(LlamaConfig c, String name, QuantMix mix, long seed) {
        QuantMix dtype = mix.forModel(c.layers(), c.heads() / c.kvHeads(), c.sharedClassifier());
        GgufWriter w = GgufExport.header(c, name).putAll(vocabulary(c.vocabSize()));
        int dim = c.dim(), kv = c.kvDim(), hid = c.hiddenDim();
        boolean biases = c.architecture().equals("qwen2");
        long[] salt = {seed};
        matrix(w, "token_embd.weight", c.vocabSize(), dim, dtype, salt);
        for (int l = 0; l < c.layers(); l++) {
            String p = "blk." + l + ".";
            ones(w, p + "attn_norm.weight", dim);
            matrix(w, p + "attn_q.weight", dim, dim, dtype, salt);
            matrix(w, p + "attn_k.weight", kv, dim, dtype, salt);
            matrix(w, p + "attn_v.weight", kv, dim, dtype, salt);
            if (biases) {
                matrix(w, p + "attn_q.bias", 1, dim, QuantMix.of(DType.F32), salt);
                matrix(w, p + "attn_k.bias", 1, kv, QuantMix.of(DType.F32), salt);
                matrix(w, p + "attn_v.bias", 1, kv, QuantMix.of(DType.F32), salt);
            }
            matrix(w, p + "attn_output.weight", dim, dim, dtype, salt);
            ones(w, p + "ffn_norm.weight", dim);
            matrix(w, p + "ffn_gate.weight", hid, dim, dtype, salt);
            matrix(w, p + "ffn_down.weight", dim, hid, dtype, salt);
            matrix(w, p + "ffn_up.weight", hid, dim, dtype, salt);
        }
        ones(w, "output_norm.weight", dim);
        if (!c.sharedClassifier()) {
            matrix(w, "output.weight", c.vocabSize(), dim, dtype, salt);
        }
        return GgufExport.ropeFreqs(w, c);
    }

    public static void write(String shapeName, QuantMix dtype, long seed, Path out, LongConsumer progress) {
        plan(shapeName, dtype, seed).write(out, progress);
    }

    static void matrix(GgufWriter w, String name, int rows, int cols, QuantMix dtype, long[] salt) {
        DType type = dtype.typeOf(name, cols);
        long tensorSeed = salt[0] * 0x9E3779B97F4A7C15L + name.hashCode();
        long rowBytes = type.byteSize(cols);
        float a = (float) (STD * Math.sqrt(3)); // uniform in [-a, a] has standard deviation STD
        w.tensor(name, rows, cols, type, dst -> IntStream.range(0, rows).parallel().forEach(r -> {
            SplittableRandom rnd = new SplittableRandom(tensorSeed + r * 0xBF58476D1CE4E5B9L);
            float[] v = new float[cols];
            for (int i = 0; i < cols; i++) {
                v[i] = (float) rnd.nextDouble(-a, a);
            }
            Quantization.encode(type, v, 0, cols, dst, r * rowBytes);
        }));
    }

    static void ones(GgufWriter w, String name, int n) {
        w.tensor(name, 1, n, DType.F32, dst -> {
            float[] v = new float[n];
            java.util.Arrays.fill(v, 1f);
            MemorySegment.copy(v, 0, dst, java.lang.foreign.ValueLayout.JAVA_FLOAT_UNALIGNED, 0, n);
        });
    }

    /**
     * A SentencePiece-style vocabulary that can spell any text: unknown, BOS, EOS, the 256 byte tokens, then
     * filler pieces ("▁", letters, digits, "▁" + letter, numbered pieces) up to the model's vocabulary size.
     */
    static Map<String, Object> vocabulary(int size) {
        List<String> tokens = new ArrayList<>(size);
        List<Float> scores = new ArrayList<>(size);
        List<Integer> types = new ArrayList<>(size);
        tokens.add("<unk>");
        tokens.add("<s>");
        tokens.add("</s>");
        types.add(2);
        types.add(3);
        types.add(3);
        for (int b = 0; b < 256; b++) {
            tokens.add(String.format("<0x%02X>", b));
            types.add(6);
        }
        // "▁", the letters and digits as pieces of their own, so that the pieces built of them merge the same in
        // every SentencePiece-style encoder (llama.cpp merges through characters that are not pieces, Tandem does not)
        List<String> singles = new ArrayList<>(List.of("\u2581"));
        for (char x = 'a'; x <= 'z'; x++) {
            singles.add(String.valueOf(x));
        }
        for (char x = '0'; x <= '9'; x++) {
            singles.add(String.valueOf(x));
        }
        for (char x = 'a'; x <= 'z'; x++) {
            singles.add("\u2581" + x);
        }
        for (String piece : singles) {
            if (tokens.size() < size) {
                tokens.add(piece);
                types.add(1);
            }
        }
        for (int i = 0; tokens.size() < size; i++) {
            tokens.add("\u2581t" + i);
            types.add(1);
        }
        for (int i = 0; i < size; i++) {
            scores.add(i < 259 ? 0f : -(float) i);
        }
        Map<String, Object> md = new java.util.LinkedHashMap<>(); // insertion order: the same bytes every run
        md.put("tokenizer.ggml.model", "llama");
        md.put("tokenizer.ggml.tokens", List.copyOf(tokens.subList(0, size)));
        md.put("tokenizer.ggml.scores", List.copyOf(scores));
        md.put("tokenizer.ggml.token_type", List.copyOf(types.subList(0, size)));
        md.put("tokenizer.ggml.bos_token_id", 1);
        md.put("tokenizer.ggml.eos_token_id", 2);
        md.put("tokenizer.ggml.unknown_token_id", 0);
        return md;
    }
}
