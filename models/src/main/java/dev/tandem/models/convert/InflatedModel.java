package dev.tandem.models.convert;

import dev.tandem.core.DType;
import dev.tandem.core.Quantization;
import dev.tandem.core.TandemException;
import dev.tandem.core.Tensor;
import dev.tandem.models.LayerWeights;
import dev.tandem.models.LlamaConfig;
import dev.tandem.models.Model;
import dev.tandem.models.gguf.GgufWriter;
import java.util.Map;
import java.util.function.IntUnaryOperator;
import java.util.stream.IntStream;

/**
 * A small model embedded in a bigger shape so that it computes the same function (up to float rounding)
 * while costing what a model of that shape costs: real acceptance at real cost for speed work.
 *
 * <ul>
 * <li>Residual width, hidden width, heads and layers are padded to the shape; the vocabulary is kept. Padded
 *     rows and columns are zero, so the residual stream is the small one followed by zeros.</li>
 * <li>RMSNorm weights are scaled by sqrt(d/D) and epsilon by d/D: the mean square of a zero-padded residual
 *     shrinks by d/D, and these two factors undo exactly that.</li>
 * <li>Small head h (size s) sits in a big head (size S) of the same kv group, its RoPE pair i at big pair
 *     i*S/s, which rotates with the same frequency (theta^(-2i/s) = theta^(-2(iS/s)/S)); the query is scaled
 *     by sqrt(S/s) for the 1/sqrt(head size) change of the attention scale. Unused heads read zero queries
 *     and write through zero columns of wo.</li>
 * <li>The extra layers have random query/key/value and up/gate projections but zero wo and w2: exact
 *     identities that cost what any layer costs.</li>
 * </ul>
 * The file is written with adjacent RoPE pairs (GGUF "llama"), whatever the source's layout.
 */
public final class InflatedModel {
    private InflatedModel() {}

    /** The configuration of {@code small} inflated to {@code shape}; fails when the shape cannot hold it. */
    public static LlamaConfig config(LlamaConfig small, LlamaConfig shape) {
        int s = small.headSize(), big = shape.headSize();
        int groupSmall = small.heads() / small.kvHeads(), groupBig = shape.heads() / shape.kvHeads();
        require(shape.dim() >= small.dim(), "residual width", small.dim(), shape.dim());
        require(shape.hiddenDim() >= small.hiddenDim(), "hidden width", small.hiddenDim(), shape.hiddenDim());
        require(shape.layers() >= small.layers(), "layer count", small.layers(), shape.layers());
        require(shape.kvHeads() >= small.kvHeads(), "kv head count", small.kvHeads(), shape.kvHeads());
        require(groupBig >= groupSmall, "query heads per kv head", groupSmall, groupBig);
        if (big % s != 0) {
            throw new TandemException("cannot inflate: head size " + s + " does not divide the shape's head size " + big);
        }
        if (small.rope().scaled()) { // the inflated config keeps theta only: scaling would be dropped, not padded
            throw new TandemException("cannot inflate a model with RoPE scaling (frequency factors or an attention factor)");
        }
        float eps = small.normEps() * small.dim() / shape.dim();
        return new LlamaConfig(shape.dim(), shape.hiddenDim(), shape.layers(), shape.heads(), shape.kvHeads(),
                small.vocabSize(), small.contextLength(), eps, small.ropeTheta(), false);
    }

    /** A writer for {@code small} inflated to {@code shape}, its matrices stored as {@code dtype}. */
    public static GgufWriter plan(Model small, Map<String, Object> tokenizerMetadata, String shapeName, LlamaConfig shape,
                                  DType dtype, long seed) {
        return plan(small, tokenizerMetadata, shapeName, shape, QuantMix.of(dtype), seed);
    }

    /** A writer for {@code small} inflated to {@code shape}, its matrices stored as {@code mix} says. */
    public static GgufWriter plan(Model small, Map<String, Object> tokenizerMetadata, String shapeName, LlamaConfig shape,
                                  QuantMix mix, long seed) {
        LlamaConfig c = small.config();
        LlamaConfig b = config(c, shape);
        QuantMix dtype = mix.forModel(b.layers(), b.heads() / b.kvHeads(), false);
        Layout map = new Layout(c, b);
        GgufWriter w = GgufExport.header(b, small.name() + " inflated to " + shapeName
                + " (its predictions, " + shapeName + "'s cost)").putAll(tokenizerMetadata);
        IntUnaryOperator same = r -> r;
        int d = c.dim(), hid = c.hiddenDim();
        matrix(w, "token_embd.weight", small.weights().tokenEmbedding(), b.vocabSize(), b.dim(), dtype, same, null, 1f);
        long[] salt = {seed};
        for (int l = 0; l < b.layers(); l++) {
            String p = "blk." + l + ".";
            if (l >= c.layers()) { // an identity layer at full cost
                SyntheticModel.ones(w, p + "attn_norm.weight", b.dim());
                SyntheticModel.matrix(w, p + "attn_q.weight", b.dim(), b.dim(), dtype, salt);
                SyntheticModel.matrix(w, p + "attn_k.weight", b.kvDim(), b.dim(), dtype, salt);
                SyntheticModel.matrix(w, p + "attn_v.weight", b.kvDim(), b.dim(), dtype, salt);
                zeros(w, p + "attn_output.weight", b.dim(), b.dim(), dtype);
                SyntheticModel.ones(w, p + "ffn_norm.weight", b.dim());
                SyntheticModel.matrix(w, p + "ffn_gate.weight", b.hiddenDim(), b.dim(), dtype, salt);
                zeros(w, p + "ffn_down.weight", b.dim(), b.hiddenDim(), dtype);
                SyntheticModel.matrix(w, p + "ffn_up.weight", b.hiddenDim(), b.dim(), dtype, salt);
                continue;
            }
            LayerWeights lw = small.weights().layers().get(l);
            if (lw.bq() != null) {
                throw new TandemException("cannot inflate a model with attention biases (Qwen2)");
            }
            norm(w, p + "attn_norm.weight", lw.attentionNorm(), b.dim(), map.normScale);
            matrix(w, p + "attn_q.weight", lw.wq(), b.dim(), b.dim(), dtype, map::queryRow, null, map.queryScale);
            matrix(w, p + "attn_k.weight", lw.wk(), b.kvDim(), b.dim(), dtype, map::keyRow, null, 1f);
            matrix(w, p + "attn_v.weight", lw.wv(), b.kvDim(), b.dim(), dtype, map::valueRow, null, 1f);
            matrix(w, p + "attn_output.weight", lw.wo(), b.dim(), b.dim(), dtype, r -> r < d ? r : -1, map.headColumns, 1f);
            norm(w, p + "ffn_norm.weight", lw.ffnNorm(), b.dim(), map.normScale);
            matrix(w, p + "ffn_gate.weight", lw.w1(), b.hiddenDim(), b.dim(), dtype, r -> r < hid ? r : -1, null, 1f);
            matrix(w, p + "ffn_down.weight", lw.w2(), b.dim(), b.hiddenDim(), dtype, r -> r < d ? r : -1, null, 1f);
            matrix(w, p + "ffn_up.weight", lw.w3(), b.hiddenDim(), b.dim(), dtype, r -> r < hid ? r : -1, null, 1f);
        }
        norm(w, "output_norm.weight", small.weights().finalNorm(), b.dim(), map.normScale);
        matrix(w, "output.weight", small.weights().classifier(), b.vocabSize(), b.dim(), dtype, same, null, 1f);
        return w;
    }

    /** Where each row and column of the small model lands in the big one. */
    private static final class Layout {
        final int s, big, groupSmall, groupBig, pairStride;
        final int kvSmall;
        final float normScale, queryScale;
        final int[] headColumns; // small attention-output column -> big column
        final int[] smallRope; // small q/k row in adjacent layout -> row of the source tensor

        Layout(LlamaConfig c, LlamaConfig b) {
            s = c.headSize();
            big = b.headSize();
            groupSmall = c.heads() / c.kvHeads();
            groupBig = b.heads() / b.kvHeads();
            kvSmall = c.kvHeads();
            pairStride = big / s;
            normScale = (float) Math.sqrt((double) c.dim() / b.dim());
            queryScale = (float) Math.sqrt((double) big / s);
            headColumns = new int[c.heads() * s];
            for (int h = 0; h < c.heads(); h++) {
                for (int j = 0; j < s; j++) {
                    headColumns[h * s + j] = bigHead(h) * big + j;
                }
            }
            smallRope = RopeLayout.sourceRows(c.heads() * s, s, c.rope().halfSplit(), false);
        }

        /** The big query head of small query head h: same kv group, same place within it. */
        int bigHead(int h) {
            return h / groupSmall * groupBig + h % groupSmall;
        }

        int queryRow(int r) {
            int head = r / big, j = r % big;
            int group = head / groupBig, inGroup = head % groupBig;
            if (group >= kvSmall || inGroup >= groupSmall) {
                return -1;
            }
            int pair = pairRow(j);
            return pair < 0 ? -1 : smallRope[(group * groupSmall + inGroup) * s + pair];
        }

        int keyRow(int r) {
            int head = r / big;
            int pair = pairRow(r % big);
            return head >= kvSmall || pair < 0 ? -1 : smallRope[head * s + pair];
        }

        int valueRow(int r) {
            int head = r / big, j = r % big;
            return head >= kvSmall || j >= s ? -1 : head * s + j;
        }

        /** Row within a small head (adjacent pairs) that big row j of a head holds, or -1 for padding. */
        private int pairRow(int j) {
            int pair = j / 2;
            return pair % pairStride == 0 ? 2 * (pair / pairStride) + j % 2 : -1;
        }
    }

    /** Big matrix rows from {@code src}: row r is source row rows(r) (or zero for -1), its columns placed by cols. */
    private static void matrix(GgufWriter w, String name, Tensor src, int rows, int cols, QuantMix dtype,
                               IntUnaryOperator rowSource, int[] colTarget, float scale) {
        DType type = dtype.typeOf(name, cols);
        long rowBytes = type.byteSize(cols);
        w.tensor(name, rows, cols, type, dst -> IntStream.range(0, rows).parallel().forEach(r -> {
            float[] v = new float[cols];
            int from = rowSource.applyAsInt(r);
            if (from >= 0) {
                float[] row = src.row(from);
                for (int i = 0; i < row.length; i++) {
                    v[colTarget == null ? i : colTarget[i]] = row[i] * scale;
                }
            }
            Quantization.encode(type, v, 0, cols, dst, r * rowBytes);
        }));
    }

    private static void zeros(GgufWriter w, String name, int rows, int cols, QuantMix dtype) {
        matrix(w, name, null, rows, cols, dtype, r -> -1, null, 0f);
    }

    private static void norm(GgufWriter w, String name, Tensor src, int n, float scale) {
        float[] small = src.row(0);
        float[] v = new float[n];
        for (int i = 0; i < small.length; i++) {
            v[i] = small[i] * scale;
        }
        w.tensor(name, 1, n, DType.F32, dst -> Quantization.encode(DType.F32, v, 0, n, dst, 0));
    }

    private static void require(boolean ok, String what, int small, int big) {
        if (!ok) {
            throw new TandemException("cannot inflate: the model's " + what + " " + small + " exceeds the shape's " + big);
        }
    }
}
