package dev.tandem.core.cpu;

import dev.tandem.core.AttentionShape;
import dev.tandem.core.TreeMask;

/**
 * Causal attention with a tree mask over a KV cache: row b attends to cache rows {@code [0, cached)} and
 * then to the cache rows {@code cached + a} of its ancestors a (root first, itself last). Scores, softmax
 * and the weighted sum run in position order, exactly as one-token-at-a-time decoding of that path would.
 */
final class TreeAttention {
    private TreeAttention() {}

    /** Computes heads {@code [u0, u1)} of the flattened (row, head) index space. */
    static void range(float[] out, float[] q, float[] keys, float[] values, int cached, TreeMask mask,
                      AttentionShape shape, int u0, int u1) {
        int heads = shape.heads();
        int hs = shape.headSize();
        int dim = shape.dim();
        int kvDim = shape.kvDim();
        int group = heads / shape.kvHeads();
        float scale = (float) Math.sqrt(hs);
        float[] att = new float[cached + maxPathLength(mask, u0 / heads, (u1 - 1) / heads)];
        for (int u = u0; u < u1; u++) {
            int b = u / heads;
            int h = u % heads;
            int[] path = mask.path(b);
            int qo = b * dim + h * hs;
            int kvo = (h / group) * hs;
            int len = cached + path.length;
            for (int t = 0; t < len; t++) {
                int row = t < cached ? t : cached + path[t - cached];
                int ko = row * kvDim + kvo;
                float s = 0f;
                for (int i = 0; i < hs; i++) {
                    s += q[qo + i] * keys[ko + i];
                }
                att[t] = s / scale;
            }
            Softmax.inPlace(att, 0, len);
            for (int i = 0; i < hs; i++) {
                out[qo + i] = 0f;
            }
            for (int t = 0; t < len; t++) {
                int row = t < cached ? t : cached + path[t - cached];
                int vo = row * kvDim + kvo;
                float a = att[t];
                for (int i = 0; i < hs; i++) {
                    out[qo + i] = Math.fma(a, values[vo + i], out[qo + i]);
                }
            }
        }
    }

    private static int maxPathLength(TreeMask mask, int b0, int b1) {
        int m = 0;
        for (int b = b0; b <= b1; b++) {
            m = Math.max(m, mask.path(b).length);
        }
        return m;
    }
}
