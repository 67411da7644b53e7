package dev.tandem.models.convert;

import dev.tandem.core.DType;
import dev.tandem.core.Tensor;
import dev.tandem.models.LayerWeights;
import dev.tandem.models.LlamaConfig;
import dev.tandem.models.Model;
import java.util.ArrayList;
import java.util.List;

/** Every tensor of a model with its GGUF and Hugging Face names, in file order. */
final class ModelTensors {
    enum Kind { MATRIX, VECTOR, QUERY, KEY, QUERY_BIAS, KEY_BIAS }

    record Entry(String gguf, String hf, Tensor tensor, Kind kind) {}

    private ModelTensors() {}

    static List<Entry> of(Model m) {
        LlamaConfig c = m.config();
        List<Entry> out = new ArrayList<>();
        out.add(new Entry("token_embd.weight", "model.embed_tokens.weight", m.weights().tokenEmbedding(), Kind.MATRIX));
        for (int l = 0; l < c.layers(); l++) {
            LayerWeights w = m.weights().layers().get(l);
            String g = "blk." + l + ".", h = "model.layers." + l + ".";
            out.add(new Entry(g + "attn_norm.weight", h + "input_layernorm.weight", w.attentionNorm(), Kind.VECTOR));
            out.add(new Entry(g + "attn_q.weight", h + "self_attn.q_proj.weight", w.wq(), Kind.QUERY));
            out.add(new Entry(g + "attn_k.weight", h + "self_attn.k_proj.weight", w.wk(), Kind.KEY));
            out.add(new Entry(g + "attn_v.weight", h + "self_attn.v_proj.weight", w.wv(), Kind.MATRIX));
            if (w.bq() != null) {
                out.add(new Entry(g + "attn_q.bias", h + "self_attn.q_proj.bias", w.bq(), Kind.QUERY_BIAS));
                out.add(new Entry(g + "attn_k.bias", h + "self_attn.k_proj.bias", w.bk(), Kind.KEY_BIAS));
                out.add(new Entry(g + "attn_v.bias", h + "self_attn.v_proj.bias", w.bv(), Kind.VECTOR));
            }
            out.add(new Entry(g + "attn_output.weight", h + "self_attn.o_proj.weight", w.wo(), Kind.MATRIX));
            out.add(new Entry(g + "ffn_norm.weight", h + "post_attention_layernorm.weight", w.ffnNorm(), Kind.VECTOR));
            out.add(new Entry(g + "ffn_gate.weight", h + "mlp.gate_proj.weight", w.w1(), Kind.MATRIX));
            out.add(new Entry(g + "ffn_down.weight", h + "mlp.down_proj.weight", w.w2(), Kind.MATRIX));
            out.add(new Entry(g + "ffn_up.weight", h + "mlp.up_proj.weight", w.w3(), Kind.MATRIX));
        }
        out.add(new Entry("output_norm.weight", "model.norm.weight", m.weights().finalNorm(), Kind.VECTOR));
        if (!c.sharedClassifier()) {
            out.add(new Entry("output.weight", "lm_head.weight", m.weights().classifier(), Kind.MATRIX));
        }
        return out;
    }

    /**
     * The tensor as it goes into a file whose RoPE layout is {@code toHalfSplit}, stored as {@code requested}
     * (null: as it is). Vectors stay F32; a matrix whose rows are not whole blocks of the requested type stays F32.
     */
    static ExportTensor export(Entry e, LlamaConfig c, boolean toHalfSplit, DType requested) {
        return export(e, c, toHalfSplit, requested == null ? null : QuantMix.of(requested));
    }

    /** As above, with each matrix's type chosen by {@code mix} (null: as it is). */
    static ExportTensor export(Entry e, LlamaConfig c, boolean toHalfSplit, QuantMix mix) {
        Tensor t = e.tensor();
        DType type;
        if (e.kind() == Kind.VECTOR || e.kind() == Kind.QUERY_BIAS || e.kind() == Kind.KEY_BIAS) {
            type = DType.F32;
        } else if (mix != null) {
            type = mix.forModel(c.layers(), c.heads() / c.kvHeads(), c.sharedClassifier()).typeOf(e.gguf(), t.cols());
        } else {
            type = t.cols() % t.dtype().blockSize() == 0 ? t.dtype() : DType.F32;
        }
        boolean from = c.rope().halfSplit();
        int[] order = switch (e.kind()) {
            case QUERY -> RopeLayout.sourceRows(t.rows(), c.headSize(), from, toHalfSplit);
            case KEY -> RopeLayout.sourceRows(t.rows(), c.headSize(), from, toHalfSplit);
            default -> null;
        };
        if (e.kind() == Kind.QUERY_BIAS || e.kind() == Kind.KEY_BIAS) { // a bias is one value per output row
            int[] cols = RopeLayout.sourceRows(t.cols(), c.headSize(), from, toHalfSplit);
            float[] src = t.row(0), dst = new float[src.length];
            for (int i = 0; i < dst.length; i++) {
                dst[i] = src[cols[i]];
            }
            t = Tensor.wrap(dst, 1, dst.length);
        }
        return new ExportTensor(e.gguf(), t, order, type, e.kind() == Kind.VECTOR || e.kind() == Kind.QUERY_BIAS || e.kind() == Kind.KEY_BIAS);
    }
}
