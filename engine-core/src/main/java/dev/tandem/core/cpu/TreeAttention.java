package dev.tandem.core.cpu;

import static dev.tandem.core.cpu.VectorMath.F;
import static dev.tandem.core.cpu.VectorMath.L;

import dev.tandem.core.AttentionShape;
import dev.tandem.core.TreeMask;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Causal attention with a tree mask over a KV cache: row b attends to cache slots {@code [0, cached)} and
 * then to the slots {@code cached + a} of its ancestors a (root first, itself last). Scores, softmax and
 * the weighted sum run in position order, exactly as one-token-at-a-time decoding of that path would.
 *
 * <p>Keys are stored transposed ({@code [kvDim][capacity]}) so the scores of 16 consecutive positions
 * come from one vector FMA per head dimension; each score is still its own FMA chain over the head
 * dimension, so a score computed in a vector lane equals the one computed by the scalar twin.
 */
final class TreeAttention {
    private static final VectorSpecies<Float> F8 = FloatVector.SPECIES_256;

    private TreeAttention() {}

    /** Computes units {@code [u0, u1)} of the flattened (row, head) index space. */
    static void range(float[] out, float[] q, float[] keysT, float[] values, int capacity, int cached,
                      TreeMask mask, AttentionShape shape, int u0, int u1) {
        int heads = shape.heads();
        int hs = shape.headSize();
        int dim = shape.dim();
        int kvDim = shape.kvDim();
        int group = heads / shape.kvHeads();
        float scale = (float) Math.sqrt(hs);
        float[] att = new float[cached + maxPathLength(mask, u0 / heads, (u1 - 1) / heads) + L];
        for (int u = u0; u < u1; u++) {
            int b = u / heads;
            int h = u % heads;
            int[] path = mask.path(b);
            int qo = b * dim + h * hs;
            int kvOffset = (h / group) * hs;
            int kBase = kvOffset * capacity;
            int len = cached + path.length;

            // Slots [0, contiguous) hold this row's keys in order (the cache, then a chain-shaped head of its
            // path): score them L at a time. Reading past the last slot is harmless (the cache has scratch
            // slots beyond it and the extra scores are overwritten), but never past the capacity.
            int contiguous = cached;
            while (contiguous - cached < path.length && path[contiguous - cached] == contiguous - cached) {
                contiguous++;
            }
            int t = 0;
            // four chunks of L positions at once: four independent FMA chains where one chain's latency bound the
            // loop (each lane's chain is the same as below, so are its bits)
            for (; t + 4 * L <= contiguous && t + 4 * L <= capacity; t += 4 * L) {
                FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
                for (int i = 0; i < hs; i++) {
                    FloatVector qi = FloatVector.broadcast(F, q[qo + i]);
                    int k = kBase + i * capacity + t;
                    a0 = FloatVector.fromArray(F, keysT, k).fma(qi, a0);
                    a1 = FloatVector.fromArray(F, keysT, k + L).fma(qi, a1);
                    a2 = FloatVector.fromArray(F, keysT, k + 2 * L).fma(qi, a2);
                    a3 = FloatVector.fromArray(F, keysT, k + 3 * L).fma(qi, a3);
                }
                a0.div(scale).intoArray(att, t);
                a1.div(scale).intoArray(att, t + L);
                a2.div(scale).intoArray(att, t + 2 * L);
                a3.div(scale).intoArray(att, t + 3 * L);
            }
            for (; t < contiguous && t + L <= capacity; t += L) {
                FloatVector acc = FloatVector.zero(F);
                for (int i = 0; i < hs; i++) {
                    acc = FloatVector.fromArray(F, keysT, kBase + i * capacity + t).fma(FloatVector.broadcast(F, q[qo + i]), acc);
                }
                acc.div(scale).intoArray(att, t);
            }
            for (; t < contiguous; t++) {
                att[t] = score(q, qo, keysT, kBase, capacity, t, hs) / scale;
            }
            for (int a = contiguous - cached; a < path.length; a++) {
                att[cached + a] = score(q, qo, keysT, kBase, capacity, cached + path[a], hs) / scale;
            }
            Softmax.inPlace(att, 0, len);

            if (hs % (4 * L) == 0) { // 64 or 128 values a head: four chains of L at once, each lane's as in the loop below
                for (int c = 0; c < hs; c += 4 * L) {
                    FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
                    for (int s = 0; s < len; s++) {
                        int slot = s < cached ? s : cached + path[s - cached];
                        FloatVector w = FloatVector.broadcast(F, att[s]);
                        int v = slot * kvDim + kvOffset + c;
                        a0 = FloatVector.fromArray(F, values, v).fma(w, a0);
                        a1 = FloatVector.fromArray(F, values, v + L).fma(w, a1);
                        a2 = FloatVector.fromArray(F, values, v + 2 * L).fma(w, a2);
                        a3 = FloatVector.fromArray(F, values, v + 3 * L).fma(w, a3);
                    }
                    a0.intoArray(out, qo + c);
                    a1.intoArray(out, qo + c + L);
                    a2.intoArray(out, qo + c + 2 * L);
                    a3.intoArray(out, qo + c + 3 * L);
                }
            } else if (hs % F8.length() == 0) {
                for (int c = 0; c < hs; c += F8.length()) {
                    FloatVector acc = FloatVector.zero(F8);
                    for (int s = 0; s < len; s++) {
                        int slot = s < cached ? s : cached + path[s - cached];
                        acc = FloatVector.fromArray(F8, values, slot * kvDim + kvOffset + c).fma(FloatVector.broadcast(F8, att[s]), acc);
                    }
                    acc.intoArray(out, qo + c);
                }
            } else {
                for (int i = 0; i < hs; i++) {
                    float acc = 0f;
                    for (int s = 0; s < len; s++) {
                        int slot = s < cached ? s : cached + path[s - cached];
                        acc = Math.fma(values[slot * kvDim + kvOffset + i], att[s], acc);
                    }
                    out[qo + i] = acc;
                }
            }
        }
    }

    /** The scalar twin of one lane of the vector score loop. */
    private static float score(float[] q, int qo, float[] keysT, int kBase, int capacity, int slot, int hs) {
        float s = 0f;
        for (int i = 0; i < hs; i++) {
            s = Math.fma(keysT[kBase + i * capacity + slot], q[qo + i], s);
        }
        return s;
    }

    private static int maxPathLength(TreeMask mask, int b0, int b1) {
        int m = 0;
        for (int b = b0; b <= b1; b++) {
            m = Math.max(m, mask.path(b).length);
        }
        return m;
    }
}
