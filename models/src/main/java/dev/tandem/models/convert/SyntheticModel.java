package dev.tandem.models.convert;

import dev.tandem.core.DType;
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
    /** Known shapes: name to configuration (architecture "llama", adjacent RoPE pairs, untied classifier). */
    public static final Map<String, LlamaConfig> SHAPES = Map.of(
            "tinyllama-1.1b", new LlamaConfig(2048, 5632, 22, 32, 4, 32000, 2048, 1e-5f, 10000f, false),
            "llama2-7b", new LlamaConfig(4096, 11008, 32, 32, 32, 32000, 4096, 1e-5f, 10000f, false),
            "llama3-8b", new LlamaConfig(4096, 14336, 32, 32, 8, 128256, 8192, 1e-5f, 500000f, false),
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

    /** A writer for the model, its matrices stored as {@code mix} says. */
    public static GgufWriter plan(String shapeName, QuantMix mix, long seed) {
        LlamaConfig c = shape(shapeName);
        QuantMix dtype = mix.forModel(c.layers(), c.heads() / c.kvHeads(), false);
        GgufWriter w = GgufExport.header(c, "synthetic " + shapeName + " (random weights)")
                .putAll(vocabulary(c.vocabSize()));
        int dim = c.dim(), kv = c.kvDim(), hid = c.hiddenDim();
        long[] salt = {seed};
        matrix(w, "token_embd.weight", c.vocabSize(), dim, dtype, salt);
        for (int l = 0; l < c.layers(); l++) {
            String p = "blk." + l + ".";
            ones(w, p + "attn_norm.weight", dim);
            matrix(w, p + "attn_q.weight", dim, dim, dtype, salt);
            matrix(w, p + "attn_k.weight", kv, dim, dtype, salt);
            matrix(w, p + "attn_v.weight", kv, dim, dtype, salt);
            matrix(w, p + "attn_output.weight", dim, dim, dtype, salt);
            ones(w, p + "ffn_norm.weight", dim);
            matrix(w, p + "ffn_gate.weight", hid, dim, dtype, salt);
            matrix(w, p + "ffn_down.weight", dim, hid, dtype, salt);
            matrix(w, p + "ffn_up.weight", hid, dim, dtype, salt);
        }
        ones(w, "output_norm.weight", dim);
        matrix(w, "output.weight", c.vocabSize(), dim, dtype, salt);
        return w;
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
     * filler pieces (ASCII letter pairs and numbered pieces) up to the model's vocabulary size.
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
        for (char x = 'a'; x <= 'z' && tokens.size() < size; x++) {
            tokens.add("\u2581" + x);
            types.add(1);
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
