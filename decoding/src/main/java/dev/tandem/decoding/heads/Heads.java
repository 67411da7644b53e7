package dev.tandem.decoding.heads;

import dev.tandem.core.Backend;
import dev.tandem.core.Tensor;
import java.util.Arrays;

/**
 * A stack of decoding heads over a frozen target: per head a residual block (W_k, b_k) whose output goes
 * through the target's classifier. Weights are plain arrays: at most a few heads of d x 2d.
 */
public final class Heads {
    private final HeadKind kind;
    private final int dim;
    private final int vocab;
    private final String modelName;
    final float[][] w; // w[k]: dim x inputSize, row-major
    final float[][] b; // b[k]: dim

    public Heads(HeadKind kind, int count, int dim, int vocab, String modelName) {
        this.kind = kind;
        this.dim = dim;
        this.vocab = vocab;
        this.modelName = modelName;
        this.w = new float[count][dim * kind.inputSize(dim)];
        this.b = new float[count][dim];
    }

    public HeadKind kind() {
        return kind;
    }

    public int count() {
        return w.length;
    }

    public int dim() {
        return dim;
    }

    public int vocab() {
        return vocab;
    }

    public String modelName() {
        return modelName;
    }

    /**
     * Every head's representation z_k for a last hidden state {@code h}, plus the pre-activations u_k
     * (kept for training). Returns z[k] (k = 0..count-1).
     */
    public float[][] represent(float[] h, float[][] preActivations) {
        int heads = count();
        float[][] z = new float[heads][];
        int in = kind.inputSize(dim);
        float[] x = new float[in];
        for (int k = 0; k < heads; k++) {
            System.arraycopy(h, 0, x, 0, dim);
            if (kind == HeadKind.CERBERUS) {
                System.arraycopy(k == 0 ? h : z[k - 1], 0, x, dim, dim);
            }
            float[] u = new float[dim];
            float[] zk = new float[dim];
            float[] wk = w[k];
            for (int r = 0; r < dim; r++) {
                float s = b[k][r];
                int ro = r * in;
                for (int i = 0; i < in; i++) {
                    s += wk[ro + i] * x[i];
                }
                u[r] = s;
                zk[r] = h[r] + silu(s);
            }
            z[k] = zk;
            if (preActivations != null) {
                preActivations[k] = u;
            }
        }
        return z;
    }

    /** Logits of each head: the target's classifier applied to every z_k in one matmul. */
    public float[][] logits(float[] h, Tensor classifier, Backend backend) {
        float[][] z = represent(h, null);
        int heads = z.length;
        float[] flat = new float[heads * dim];
        for (int k = 0; k < heads; k++) {
            System.arraycopy(z[k], 0, flat, k * dim, dim);
        }
        Tensor out = Tensor.allocate(heads, classifier.rows());
        backend.matmul(out, Tensor.wrap(flat, heads, dim), classifier, heads);
        float[][] logits = new float[heads][];
        for (int k = 0; k < heads; k++) {
            logits[k] = out.row(k);
        }
        return logits;
    }

    static float silu(float u) {
        return u / (1f + (float) Math.exp(-u));
    }

    Heads copy() {
        Heads c = new Heads(kind, count(), dim, vocab, modelName);
        for (int k = 0; k < count(); k++) {
            c.w[k] = Arrays.copyOf(w[k], w[k].length);
            c.b[k] = Arrays.copyOf(b[k], b[k].length);
        }
        return c;
    }
}
