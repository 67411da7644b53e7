package dev.tandem.decoding.heads;

import dev.tandem.core.Backend;
import dev.tandem.core.Tensor;

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

    /** Head k's block matrix, {@code dim x inputSize} row-major (the array itself: read, do not modify). */
    public float[] weights(int k) {
        return w[k];
    }

    /** Head k's block bias (the array itself: read, do not modify). */
    public float[] bias(int k) {
        return b[k];
    }

    /**
     * Every head's representation z_k for a last hidden state {@code h}; {@code prev[k]} is the token head
     * k's block reads the embedding of (Cerberus only: the token before the one head k guesses). Keeps the
     * pre-activations u_k in {@code preActivations} when given (training).
     */
    public float[][] represent(float[] h, int[] prev, Tensor embedding, float[][] preActivations) {
        float[][] z = new float[count()][];
        for (int k = 0; k < count(); k++) {
            z[k] = block(k, h, k == 0 ? h : z[k - 1], kind == HeadKind.CERBERUS ? embedding.row(prev[k]) : null,
                    preActivations == null ? null : (preActivations[k] = new float[dim]));
        }
        return z;
    }

    /** One head's residual block: z = h + SiLU(W [h; zPrev; ePrev] + b), the extra inputs for Cerberus only. */
    private float[] block(int k, float[] h, float[] zPrev, float[] ePrev, float[] uOut) {
        int in = kind.inputSize(dim);
        float[] x = new float[in];
        System.arraycopy(h, 0, x, 0, dim);
        if (kind == HeadKind.CERBERUS) {
            System.arraycopy(zPrev, 0, x, dim, dim);
            System.arraycopy(ePrev, 0, x, 2 * dim, dim);
        }
        float[] z = new float[dim];
        float[] wk = w[k];
        for (int r = 0; r < dim; r++) {
            float s = b[k][r];
            int ro = r * in;
            for (int i = 0; i < in; i++) {
                s += wk[ro + i] * x[i];
            }
            if (uOut != null) {
                uOut[r] = s;
            }
            z[r] = h[r] + silu(s);
        }
        return z;
    }

    /**
     * Logits of each head after the target chose {@code pending}. Medusa's heads are independent; Cerberus'
     * run in order, each reading the previous head's top token.
     */
    public float[][] logits(float[] h, int pending, Tensor classifier, Tensor embedding, Backend backend) {
        Run run = run(h, pending, classifier, embedding, backend);
        float[][] logits = new float[count()][];
        for (int k = 0; k < logits.length; k++) {
            logits[k] = run.next();
        }
        return logits;
    }

    /**
     * The heads' logits one head at a time, for a drafter that stops once deeper heads cannot pay: head k
     * costs a d x (d or 3d) product and the classifier, at a 1.1B model's width about a twentieth of a step.
     */
    public final class Run {
        private final float[] h;
        private final Tensor classifier;
        private final Tensor embedding;
        private final Backend backend;
        private float[] zPrev;
        private int prev;
        private int next;

        private Run(float[] h, int pending, Tensor classifier, Tensor embedding, Backend backend) {
            this.h = h;
            this.zPrev = h;
            this.prev = pending;
            this.classifier = classifier;
            this.embedding = embedding;
            this.backend = backend;
        }

        /** Heads computed so far. */
        public int done() {
            return next;
        }

        /** Logits of the next head (Cerberus' next head reads this one's top token). */
        public float[] next() {
            if (next >= count()) {
                throw new IllegalStateException("all " + count() + " heads computed");
            }
            int k = next++;
            float[] z = kind == HeadKind.CERBERUS ? block(k, h, zPrev, embedding.row(prev), backend) : block(k, h, h, null, backend);
            Tensor out = Tensor.allocate(1, classifier.rows());
            backend.matmul(out, Tensor.wrap(z, 1, dim), classifier, 1);
            float[] logits = out.row(0);
            zPrev = z;
            prev = dev.tandem.decoding.Sampler.argmax(logits);
            return logits;
        }
    }

    /** Starts computing the heads' logits after the target chose {@code pending}, one head per {@link Run#next}. */
    public Run run(float[] h, int pending, Tensor classifier, Tensor embedding, Backend backend) {
        return new Run(h, pending, classifier, embedding, backend);
    }

    /**
     * Drafting's block: the same z = h + SiLU(W [h; zPrev; ePrev] + b) with the product on the backend, whose
     * vector kernels matter once d is a real model's (the scalar loop above is training's, which keeps u).
     */
    private float[] block(int k, float[] h, float[] zPrev, float[] ePrev, Backend backend) {
        int in = kind.inputSize(dim);
        float[] x = h;
        if (kind == HeadKind.CERBERUS) {
            x = new float[in];
            System.arraycopy(h, 0, x, 0, dim);
            System.arraycopy(zPrev, 0, x, dim, dim);
            System.arraycopy(ePrev, 0, x, 2 * dim, dim);
        }
        float[] u = affine(backend, w[k], b[k], dim, in, x);
        float[] z = new float[dim];
        for (int r = 0; r < dim; r++) {
            z[r] = h[r] + silu(u[r]);
        }
        return z;
    }

    /** W x + b for a rows x cols row-major W, on the backend. */
    static float[] affine(Backend backend, float[] w, float[] b, int rows, int cols, float[] x) {
        Tensor out = Tensor.allocate(1, rows);
        backend.matmul(out, Tensor.wrap(x, 1, cols), Tensor.wrap(w, rows, cols), 1);
        float[] u = out.array();
        for (int r = 0; r < rows; r++) {
            u[r] += b[r];
        }
        return u;
    }

    static float silu(float u) {
        return u / (1f + (float) Math.exp(-u));
    }
}
