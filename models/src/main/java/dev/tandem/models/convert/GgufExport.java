package dev.tandem.models.convert;

import dev.tandem.core.DType;
import dev.tandem.core.Tensor;
import dev.tandem.models.LlamaConfig;
import dev.tandem.models.Model;
import dev.tandem.models.gguf.GgufWriter;
import java.nio.file.Path;
import java.util.Map;
import java.util.function.LongConsumer;

/**
 * Writes a model as GGUF the way llama.cpp's converters do: architecture "llama" with adjacent RoPE pairs
 * (query/key rows permuted when the source is half-split), or "qwen2" kept half-split; RoPE frequency factors
 * (Llama 3's, YaRN's) as {@code rope_freqs.weight}, YaRN's magnitude as {@code rope.scaling.attn_factor}; the tokenizer embedded as {@code tokenizer.ggml.*} metadata.
 */
public final class GgufExport {
    private GgufExport() {}

    /** Returns the writer, ready to {@link GgufWriter#write}; {@code dtype} null keeps each tensor's type. */
    public static GgufWriter plan(Model m, Map<String, Object> tokenizerMetadata, DType dtype) {
        return plan(m, tokenizerMetadata, dtype == null ? null : QuantMix.of(dtype));
    }

    /** As above, with each matrix's type chosen by {@code mix} (null: keep each tensor's type). */
    public static GgufWriter plan(Model m, Map<String, Object> tokenizerMetadata, QuantMix mix) {
        LlamaConfig c = m.config();
        boolean halfSplit = c.architecture().equals("qwen2");
        GgufWriter w = header(c, m.name()).putAll(tokenizerMetadata);
        for (ModelTensors.Entry e : ModelTensors.of(m)) {
            ExportTensor t = ModelTensors.export(e, c, halfSplit, mix);
            w.tensor(t.name(), t.rows(), t.cols(), t.target(), t::fill);
        }
        return ropeFreqs(w, c);
    }

    /** RoPE frequency factors (Llama 3's, YaRN's), where {@code c} has them, as llama.cpp's rope_freqs.weight tensor. */
    static GgufWriter ropeFreqs(GgufWriter w, LlamaConfig c) {
        float[] factors = c.rope().freqFactors();
        if (factors != null) {
            ExportTensor t = new ExportTensor("rope_freqs.weight", Tensor.wrap(factors.clone(), 1, factors.length), null, DType.F32, true);
            w.tensor(t.name(), 1, factors.length, DType.F32, t::fill);
        }
        return w;
    }

    /** A writer holding the hyper-parameters of {@code c} under llama.cpp's key names. */
    static GgufWriter header(LlamaConfig c, String name) {
        String arch = c.architecture();
        GgufWriter w = new GgufWriter();
        if (c.rope().magnitude() != 1f) { // YaRN's attention factor, beside its frequency factors in rope_freqs.weight
            w.put(arch + ".rope.scaling.attn_factor", c.rope().magnitude());
        }
        return w
                .put("general.architecture", arch)
                .put("general.name", name)
                .put(arch + ".context_length", c.contextLength())
                .put(arch + ".embedding_length", c.dim())
                .put(arch + ".block_count", c.layers())
                .put(arch + ".feed_forward_length", c.hiddenDim())
                .put(arch + ".attention.head_count", c.heads())
                .put(arch + ".attention.head_count_kv", c.kvHeads())
                .put(arch + ".attention.layer_norm_rms_epsilon", c.normEps())
                .put(arch + ".rope.freq_base", c.ropeTheta())
                .put(arch + ".rope.dimension_count", c.headSize());
    }

    public static void write(Model m, Map<String, Object> tokenizerMetadata, DType dtype, Path out, LongConsumer progress) {
        plan(m, tokenizerMetadata, dtype).write(out, progress);
    }
}
