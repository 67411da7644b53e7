package dev.tandem.models.hf;

import dev.tandem.core.DType;
import dev.tandem.core.Rope;
import dev.tandem.core.TandemException;
import dev.tandem.core.Tensor;
import dev.tandem.models.LayerWeights;
import dev.tandem.models.LlamaConfig;
import dev.tandem.models.LlamaWeights;
import dev.tandem.models.io.FileBytes;
import dev.tandem.models.io.MappedSafetensors;
import dev.tandem.models.Model;
import dev.tandem.models.io.Json;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Builds a {@link Model} from a Hugging Face folder: {@code config.json} plus {@code model.safetensors} (or
 * shards listed in {@code model.safetensors.index.json}). Architectures: LlamaForCausalLM (Llama 2/3,
 * TinyLlama, SmolLM), MistralForCausalLM and Qwen2ForCausalLM. Hugging Face checkpoints rotate half-split
 * RoPE pairs, so the weights are used as stored.
 */
public final class HfModel {
    public static final Map<String, String> ARCHITECTURES = Map.of(
            "LlamaForCausalLM", "llama", "MistralForCausalLM", "llama", "Qwen2ForCausalLM", "qwen2");

    private HfModel() {}

    public static Model load(Path dir) {
        Map<String, Object> config = HfConfig.read(dir);
        Arena arena = Arena.ofShared();
        try {
            return build(dir, config, shards(dir, arena), arena);
        } catch (RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    /** Tensor name to the shard holding it. */
    private static Map<String, MappedSafetensors> shards(Path dir, Arena arena) {
        Map<String, MappedSafetensors> byTensor = new LinkedHashMap<>();
        Path single = dir.resolve("model.safetensors");
        Path index = dir.resolve("model.safetensors.index.json");
        if (Files.exists(single)) {
            MappedSafetensors st = MappedSafetensors.open(single, arena);
            st.tensors().keySet().forEach(n -> byTensor.put(n, st));
        } else if (Files.exists(index)) {
            Object parsed = Json.parse(FileBytes.read(index, "safetensors index"));
            if (!(parsed instanceof Map<?, ?> m) || !(m.get("weight_map") instanceof Map<?, ?> weightMap)) {
                throw new TandemException(index + " has no weight_map");
            }
            Map<String, MappedSafetensors> opened = new LinkedHashMap<>();
            for (Map.Entry<?, ?> e : weightMap.entrySet()) {
                String file = String.valueOf(e.getValue());
                if (file.contains("/") || file.contains("\\") || file.startsWith(".")) {
                    throw new TandemException(index + " points outside its folder: " + file);
                }
                MappedSafetensors st = opened.computeIfAbsent(file, f -> MappedSafetensors.open(dir.resolve(f), arena));
                byTensor.put(String.valueOf(e.getKey()), st);
            }
        } else {
            throw new TandemException("Hugging Face folder " + dir + " has neither model.safetensors nor model.safetensors.index.json");
        }
        return byTensor;
    }

    private static Model build(Path dir, Map<String, Object> cfg, Map<String, MappedSafetensors> shards, Arena arena) {
        HfConfig c = new HfConfig(dir, cfg);
        String arch = c.architecture();
        int dim = c.integer("hidden_size");
        int heads = c.integer("num_attention_heads");
        int kvHeads = c.has("num_key_value_heads") ? c.integer("num_key_value_heads") : heads;
        int layers = c.integer("num_hidden_layers");
        int hidden = c.integer("intermediate_size");
        int vocab = c.integer("vocab_size");
        int context = c.integer("max_position_embeddings");
        if (c.has("sliding_window") && cfg.get("sliding_window") != null && !Boolean.FALSE.equals(cfg.get("use_sliding_window"))
                && c.integer("sliding_window") < context) {
            context = c.integer("sliding_window"); // full attention equals the sliding window up to its length
        }
        if (dim % heads != 0) {
            throw new TandemException(dir + "/config.json: hidden_size " + dim + " is not a multiple of " + heads + " heads");
        }
        int headSize = dim / heads;
        if (c.has("head_dim") && cfg.get("head_dim") != null && c.integer("head_dim") != headSize) {
            throw new TandemException(dir + "/config.json: head_dim " + c.integer("head_dim") + " differs from hidden_size / heads = "
                    + headSize + ", which Tandem does not support");
        }
        float eps = (float) c.real("rms_norm_eps", 1e-6);
        float theta = (float) c.real("rope_theta", 10000);
        boolean tied = Boolean.TRUE.equals(cfg.get("tie_word_embeddings")) || !shards.containsKey("lm_head.weight");
        Rope rope = c.rope(headSize, theta, context);
        LlamaConfig config = new LlamaConfig(dim, hidden, layers, heads, kvHeads, vocab, context, eps, rope, tied, arch);
        Lookup t = new Lookup(dir, shards);
        int kvDim = config.kvDim();
        Tensor embedding = t.get("model.embed_tokens.weight", vocab, dim);
        List<LayerWeights> list = new ArrayList<>(layers);
        for (int l = 0; l < layers; l++) {
            String p = "model.layers." + l + ".";
            boolean bias = shards.containsKey(p + "self_attn.q_proj.bias");
            list.add(new LayerWeights(
                    t.f32(p + "input_layernorm.weight", dim),
                    t.get(p + "self_attn.q_proj.weight", dim, dim),
                    t.get(p + "self_attn.k_proj.weight", kvDim, dim),
                    t.get(p + "self_attn.v_proj.weight", kvDim, dim),
                    t.get(p + "self_attn.o_proj.weight", dim, dim),
                    t.f32(p + "post_attention_layernorm.weight", dim),
                    t.get(p + "mlp.gate_proj.weight", hidden, dim),
                    t.get(p + "mlp.down_proj.weight", dim, hidden),
                    t.get(p + "mlp.up_proj.weight", hidden, dim),
                    bias ? t.f32(p + "self_attn.q_proj.bias", dim) : null,
                    bias ? t.f32(p + "self_attn.k_proj.bias", kvDim) : null,
                    bias ? t.f32(p + "self_attn.v_proj.bias", kvDim) : null));
        }
        Tensor norm = t.f32("model.norm.weight", dim);
        Tensor classifier = tied ? embedding : t.get("lm_head.weight", vocab, dim);
        return new Model(dir, config, new LlamaWeights(embedding, List.copyOf(list), norm, classifier), arena, cfg);
    }

    private record Lookup(Path dir, Map<String, MappedSafetensors> shards) {
        Tensor get(String name, int rows, int cols) {
            MappedSafetensors st = shards.get(name);
            if (st == null) {
                throw new TandemException("Hugging Face folder " + dir + " lacks the tensor " + name);
            }
            return st.tensor(name, rows, cols);
        }

        /** Norms and biases as F32 (every kernel reads them so; they are small). */
        Tensor f32(String name, int n) {
            Tensor t = get(name, 1, n);
            return t.dtype() == DType.F32 ? t : Tensor.wrap(t.row(0), 1, n);
        }
    }
}
