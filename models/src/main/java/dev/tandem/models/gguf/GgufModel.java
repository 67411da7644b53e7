package dev.tandem.models.gguf;

import dev.tandem.core.DType;
import dev.tandem.core.Rope;
import dev.tandem.core.Shown;
import dev.tandem.core.TandemException;
import dev.tandem.core.Tensor;
import dev.tandem.models.LayerWeights;
import dev.tandem.models.LlamaConfig;
import dev.tandem.models.LlamaWeights;
import dev.tandem.models.Model;
import java.lang.foreign.Arena;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Builds a {@link Model} from a GGUF file of the Llama family: architecture "llama" (Llama 2/3, TinyLlama,
 * Mistral, SmolLM) with adjacent RoPE pairs, or "qwen2" (query/key/value biases, half-split RoPE). Weight
 * matrices stay in the mapped file in their stored type; norms and biases are read as F32.
 */
public final class GgufModel {
    public static final Set<String> ARCHITECTURES = Set.of("llama", "qwen2");

    private GgufModel() {}

    public static Model load(Path path) {
        Arena arena = Arena.ofShared();
        try {
            GgufFile f = GgufReader.read(path, arena);
            return build(f, arena);
        } catch (RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    static Model build(GgufFile f, Arena arena) {
        String arch = f.string("general.architecture");
        if (!ARCHITECTURES.contains(arch)) {
            throw new TandemException("GGUF file " + f.path() + " has architecture " + Shown.quote(arch)
                    + ", which Tandem does not support (supported: " + String.join(", ", ARCHITECTURES.stream().sorted().toList()) + ")");
        }
        int dim = f.positiveInt(arch + ".embedding_length");
        int heads = f.positiveInt(arch + ".attention.head_count");
        int kvHeads = f.has(arch + ".attention.head_count_kv") ? f.positiveInt(arch + ".attention.head_count_kv") : heads;
        int layers = f.positiveInt(arch + ".block_count");
        int hidden = f.positiveInt(arch + ".feed_forward_length");
        int context = f.positiveInt(arch + ".context_length");
        // counts are checked against what the file holds before anything is sized by them
        for (int l : new int[] {0, layers - 1}) {
            if (!f.tensors().containsKey("blk." + l + ".attn_q.weight")) {
                throw new TandemException("GGUF file " + f.path() + ": " + arch + ".block_count = " + layers + " but the file has no tensor blk."
                        + l + ".attn_q.weight (it holds " + f.tensors().size() + " tensors)");
            }
        }
        float eps = (float) f.real(arch + ".attention.layer_norm_rms_epsilon", 1e-5);
        float theta = (float) f.real(arch + ".rope.freq_base", 10000);
        if (dim % heads != 0) {
            throw new TandemException("GGUF file " + f.path() + ": embedding length " + dim + " is not a multiple of "
                    + heads + " heads");
        }
        int headSize = dim / heads;
        for (String k : new String[] {".rope.dimension_count", ".attention.key_length", ".attention.value_length"}) {
            if (f.has(arch + k) && f.integer(arch + k) != headSize) {
                throw new TandemException("GGUF file " + f.path() + ": " + arch + k + " = " + f.integer(arch + k)
                        + " differs from the head size " + headSize + ", which Tandem does not support");
            }
        }
        GgufFile.TensorInfo embd = f.tensors().get("token_embd.weight");
        if (embd == null || embd.dims().length != 2) {
            throw new TandemException("GGUF file " + f.path() + " has no 2-D token_embd.weight tensor");
        }
        if (embd.dims()[1] > Integer.MAX_VALUE) {
            throw new TandemException("GGUF file " + f.path() + ": vocabulary of " + embd.dims()[1] + " tokens is too large");
        }
        int vocab = (int) embd.dims()[1];
        boolean shared = !f.tensors().containsKey("output.weight");
        Rope rope = rope(f, arch, headSize, theta, arch.equals("qwen2"), context);
        LlamaConfig config = new LlamaConfig(dim, hidden, layers, heads, kvHeads, vocab, context, eps, rope, shared, arch);
        int kvDim = config.kvDim();
        Tensor embedding = f.tensor("token_embd.weight", vocab, dim);
        List<LayerWeights> list = new ArrayList<>(layers);
        for (int l = 0; l < layers; l++) {
            String p = "blk." + l + ".";
            boolean bias = f.tensors().containsKey(p + "attn_q.bias");
            list.add(new LayerWeights(
                    f32(f.tensor(p + "attn_norm.weight", 1, dim)),
                    f.tensor(p + "attn_q.weight", dim, dim),
                    f.tensor(p + "attn_k.weight", kvDim, dim),
                    f.tensor(p + "attn_v.weight", kvDim, dim),
                    f.tensor(p + "attn_output.weight", dim, dim),
                    f32(f.tensor(p + "ffn_norm.weight", 1, dim)),
                    f.tensor(p + "ffn_gate.weight", hidden, dim),
                    f.tensor(p + "ffn_down.weight", dim, hidden),
                    f.tensor(p + "ffn_up.weight", hidden, dim),
                    bias ? f32(f.tensor(p + "attn_q.bias", 1, dim)) : null,
                    bias ? f32(f.tensor(p + "attn_k.bias", 1, kvDim)) : null,
                    bias ? f32(f.tensor(p + "attn_v.bias", 1, kvDim)) : null));
        }
        Tensor finalNorm = f32(f.tensor("output_norm.weight", 1, dim));
        Tensor classifier = shared ? embedding : f.tensor("output.weight", vocab, dim);
        return new Model(f.path(), config, new LlamaWeights(embedding, List.copyOf(list), finalNorm, classifier), arena,
                f.metadata());
    }

    /**
     * RoPE scaling as llama.cpp reads it: Llama 3's per-pair factors as the tensor rope_freqs.weight; linear and YaRN
     * scaling as metadata ({@code rope.scaling.type}, {@code .factor}, {@code .original_context_length}, YaRN's
     * {@code .yarn_beta_fast}/{@code .yarn_beta_slow}); {@code rope.scaling.attn_factor} scales the rotation's magnitude.
     */
    private static Rope rope(GgufFile f, String arch, int headSize, float theta, boolean halfSplit, int context) {
        String k = arch + ".rope.scaling.";
        float attention = (float) f.real(k + "attn_factor", 1);
        if (f.tensors().containsKey("rope_freqs.weight")) {
            return new Rope(theta, halfSplit, f.tensor("rope_freqs.weight", 1, headSize / 2).row(0), attention);
        }
        String type = f.has(k + "type") ? f.string(k + "type") : "none";
        float factor = (float) f.real(k + "factor", 1);
        switch (type) {
            case "none" -> {
                return new Rope(theta, halfSplit, null, attention);
            }
            case "linear" -> {
                float[] factors = new float[headSize / 2];
                java.util.Arrays.fill(factors, factor);
                return new Rope(theta, halfSplit, factors, attention);
            }
            case "yarn" -> {
                int original = f.has(k + "original_context_length") ? f.positiveInt(k + "original_context_length") : context;
                float[] factors = Rope.yarnFactors(headSize, theta, factor, original, (float) f.real(k + "yarn_beta_fast", 32),
                        (float) f.real(k + "yarn_beta_slow", 1));
                return new Rope(theta, halfSplit, factors, Rope.yarnMagnitude(factor, attention));
            }
            default -> throw new TandemException("GGUF file " + f.path() + " uses RoPE scaling " + Shown.quote(type)
                    + ", which Tandem does not support (none, linear, yarn, and Llama 3 frequency factors are)");
        }
    }

    /** Norms and biases are small and read as F32 by every kernel: decode any other type once. */
    private static Tensor f32(Tensor t) {
        return t.dtype() == DType.F32 ? t : Tensor.wrap(t.row(0), 1, t.cols());
    }
}
