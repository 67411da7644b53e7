package dev.tandem.models.convert;

import dev.tandem.core.DType;
import dev.tandem.core.TandemException;
import dev.tandem.models.LlamaConfig;
import dev.tandem.models.Model;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.LongConsumer;

/**
 * Writes a Hugging Face folder: {@code config.json} and {@code model.safetensors} (half-split RoPE layout, as
 * transformers computes it; the tokenizer.json is written by the caller). Quantized weights are decoded to F32
 * unless {@code dtype} asks for F16 or BF16: safetensors has no GGML blocks.
 */
public final class HfExport {
    private HfExport() {}

    public static long bytes(Model m, DType dtype) {
        return SafetensorsWriter.bytes(tensors(m, dtype));
    }

    public static void write(Model m, DType dtype, Path dir, LongConsumer progress) {
        if (dtype != null && dtype.quantized()) {
            throw new TandemException("a Hugging Face folder holds f32, f16 or bf16 weights, not " + dtype);
        }
        if (m.config().rope().scaled()) {
            throw new TandemException("writing RoPE frequency scaling into config.json is not supported; convert this model to GGUF instead");
        }
        try {
            Files.createDirectories(dir);
            Files.writeString(dir.resolve("config.json"), config(m.config()));
        } catch (IOException e) {
            throw new TandemException("cannot write " + dir + ": " + e.getMessage(), e);
        }
        SafetensorsWriter.write(dir.resolve("model.safetensors"), tensors(m, dtype), "pt", progress);
    }

    private static List<ExportTensor> tensors(Model m, DType dtype) {
        List<ExportTensor> out = new ArrayList<>();
        for (ModelTensors.Entry e : ModelTensors.of(m)) {
            DType want = dtype != null ? dtype : (e.tensor().dtype().quantized() ? DType.F32 : null);
            ExportTensor t = ModelTensors.export(e, m.config(), true, want);
            out.add(new ExportTensor(e.hf(), t.source(), t.rowOrder(), t.target(), t.vector()));
        }
        return out;
    }

    static String config(LlamaConfig c) {
        String arch = c.architecture().equals("qwen2") ? "Qwen2ForCausalLM" : "LlamaForCausalLM";
        String type = c.architecture().equals("qwen2") ? "qwen2" : "llama";
        return String.format(Locale.ROOT, """
                {
                  "architectures": ["%s"],
                  "model_type": "%s",
                  "hidden_size": %d,
                  "intermediate_size": %d,
                  "num_hidden_layers": %d,
                  "num_attention_heads": %d,
                  "num_key_value_heads": %d,
                  "vocab_size": %d,
                  "max_position_embeddings": %d,
                  "rms_norm_eps": %s,
                  "rope_theta": %s,
                  "tie_word_embeddings": %b,
                  "hidden_act": "silu",
                  "torch_dtype": "float32"
                }
                """, arch, type, c.dim(), c.hiddenDim(), c.layers(), c.heads(), c.kvHeads(), c.vocabSize(),
                c.contextLength(), Float.toString(c.normEps()), Float.toString(c.ropeTheta()), c.sharedClassifier());
    }
}
