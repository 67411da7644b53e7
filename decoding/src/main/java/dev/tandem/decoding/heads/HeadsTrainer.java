package dev.tandem.decoding.heads;

import dev.tandem.core.Backend;
import dev.tandem.core.Shown;
import dev.tandem.core.TandemException;
import dev.tandem.core.Tensor;
import dev.tandem.models.Model;
import dev.tandem.models.io.Safetensors;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Trains heads on a frozen base model (Medusa-1 style): cross-entropy of head k against the token k + 1
 * positions after the next one, weighted 0.8^k, summed over heads; Adam; mini-batches in a seeded order.
 * Heads start as the identity (W = 0, b = 0), i.e. as copies of the model's own next-token prediction.
 *
 * <p>A checkpoint (heads, Adam moments, position in the run) is written atomically every few hundred
 * steps and at each epoch's end; a run started with the same settings resumes from it, and because the
 * corpus and batch order are seeded, a resumed run ends with the same heads as an uninterrupted one.
 */
public final class HeadsTrainer {
    /** What the trainer reports as it goes. */
    public interface Progress {
        void update(int epoch, int epochs, long step, long steps, double loss, double positionsPerSecond);
    }

    /**
     * @param checkpointEvery steps between checkpoints (also written at each epoch's end)
     */
    public record Settings(HeadKind kind, int heads, int epochs, int batch, float learningRate, long seed, int checkpointEvery) {
        public Settings(HeadKind kind, int heads, int epochs, int batch, float learningRate, long seed) {
            this(kind, heads, epochs, batch, learningRate, seed, 200);
        }

        public Settings {
            if (heads < 1 || heads > 16) {
                throw new TandemException("--heads must be between 1 and 16, got " + heads);
            }
            if (epochs < 1) {
                throw new TandemException("--epochs must be >= 1, got " + epochs);
            }
            if (checkpointEvery < 1) {
                throw new TandemException("checkpoint interval must be >= 1, got " + checkpointEvery);
            }
            if (!(learningRate > 0)) {
                throw new TandemException("learning rate must be > 0, got " + learningRate);
            }
            if (batch < 1) {
                throw new TandemException("batch size must be >= 1, got " + batch);
            }
        }
    }

    private static final float BETA1 = 0.9f;
    private static final float BETA2 = 0.999f;
    private static final float EPS = 1e-8f;
    private static final float DECAY = 0.8f;

    private final Model model;
    private final Backend backend;
    private final Settings settings;
    private final Tensor classifier;
    private final Tensor embedding;
    private final Tensor classifierT; // dim x vocab: for gradients into z

    public HeadsTrainer(Model model, Backend backend, Settings settings) {
        this.model = model;
        this.backend = backend;
        this.settings = settings;
        this.classifier = model.weights().classifier();
        this.embedding = model.weights().tokenEmbedding();
        int v = classifier.rows();
        int d = classifier.cols();
        float[] t = new float[d * v];
        for (int row = 0; row < v; row++) {
            for (int i = 0; i < d; i++) {
                t[i * v + row] = classifier.get(row, i);
            }
        }
        this.classifierT = Tensor.wrap(t, d, v);
    }

    /**
     * One training example: a position's hidden state, the labels of each head (-1 = past the end) and the
     * token before each label (what Cerberus' head reads: teacher forcing).
     */
    private record Example(float[] h, int[] labels, int[] prev) {}

    /** Trains, checkpointing to {@code checkpoint}; returns the heads and the last epoch's mean loss. */
    public Result train(DistillationCorpus corpus, Path checkpoint, Progress progress) {
        List<Example> examples = examples(corpus);
        if (examples.isEmpty()) {
            throw new TandemException("the training corpus is empty");
        }
        int dim = model.config().dim();
        Heads heads = new Heads(settings.kind(), settings.heads(), dim, model.config().vocabSize(), model.name());
        Adam adam = new Adam(heads);
        int stepsPerEpoch = (examples.size() + settings.batch() - 1) / settings.batch();
        long totalSteps = (long) stepsPerEpoch * settings.epochs();
        long step = 0;
        if (checkpoint != null && Files.exists(checkpoint)) {
            step = adam.restore(checkpoint, settings, examples.size());
        }
        double epochLoss = 0;
        long epochCount = 0;
        long started = System.nanoTime();
        long startStep = step;
        int[] order = null;
        int orderEpoch = -1;
        while (step < totalSteps) {
            int epoch = (int) (step / stepsPerEpoch);
            if (epoch != orderEpoch) {
                order = shuffled(examples.size(), settings.seed() + epoch);
                orderEpoch = epoch;
                epochLoss = 0;
                epochCount = 0;
            }
            int from = (int) (step % stepsPerEpoch) * settings.batch();
            int to = Math.min(examples.size(), from + settings.batch());
            List<Example> batch = new ArrayList<>(to - from);
            for (int i = from; i < to; i++) {
                batch.add(examples.get(order[i]));
            }
            double loss = step(heads, adam, batch, step + 1);
            epochLoss += loss * batch.size();
            epochCount += batch.size();
            step++;
            boolean epochEnd = step % stepsPerEpoch == 0;
            if (checkpoint != null && (step % settings.checkpointEvery() == 0 || epochEnd)) {
                adam.save(checkpoint, settings, examples.size(), step);
            }
            double seconds = (System.nanoTime() - started) / 1e9;
            progress.update(epoch + 1, settings.epochs(), step, totalSteps, epochLoss / Math.max(1, epochCount),
                    seconds > 0 ? (step - startStep) * (double) settings.batch() / seconds : 0);
        }
        return new Result(heads, epochCount == 0 ? Double.NaN : epochLoss / epochCount, examples.size());
    }

    public record Result(Heads heads, double finalLoss, int examples) {}

    private List<Example> examples(DistillationCorpus corpus) {
        List<Example> out = new ArrayList<>();
        int k = settings.heads();
        for (DistillationCorpus.Sequence s : corpus.sequences()) {
            int n = s.tokens().length;
            for (int t = 0; t + 2 < n; t++) {
                int[] labels = new int[k];
                int[] prev = new int[k];
                for (int j = 0; j < k; j++) {
                    int at = t + j + 2; // head j (0-based) guesses the token j + 2 after position t
                    labels[j] = at < n ? s.tokens()[at] : -1;
                    prev[j] = at - 1 < n ? s.tokens()[at - 1] : 0;
                }
                out.add(new Example(s.hidden()[t], labels, prev));
            }
        }
        return out;
    }

    private static int[] shuffled(int n, long seed) {
        int[] order = new int[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        SplittableRandom rnd = new SplittableRandom(seed);
        for (int i = n - 1; i > 0; i--) {
            int j = rnd.nextInt(i + 1);
            int tmp = order[i];
            order[i] = order[j];
            order[j] = tmp;
        }
        return order;
    }

    /** Forward, loss and backward for one batch; applies one Adam step; returns the mean loss. */
    private double step(Heads heads, Adam adam, List<Example> batch, long t) {
        int k = heads.count();
        int d = heads.dim();
        int v = heads.vocab();
        int in = heads.kind().inputSize(d);
        int rows = batch.size() * k;
        float[][][] pre = new float[batch.size()][k][];
        float[][][] z = new float[batch.size()][][];
        float[] zFlat = new float[rows * d];
        for (int e = 0; e < batch.size(); e++) {
            z[e] = heads.represent(batch.get(e).h(), batch.get(e).prev(), embedding, pre[e]);
            for (int j = 0; j < k; j++) {
                System.arraycopy(z[e][j], 0, zFlat, (e * k + j) * d, d);
            }
        }
        Tensor logits = Tensor.allocate(rows, v);
        backend.matmul(logits, Tensor.wrap(zFlat, rows, d), classifier, rows);
        float[] g = logits.array(); // becomes d loss / d logits in place
        double loss = 0;
        float scale = 1f / batch.size();
        for (int e = 0; e < batch.size(); e++) {
            int[] labels = batch.get(e).labels();
            for (int j = 0; j < k; j++) {
                int o = (e * k + j) * v;
                if (labels[j] < 0) {
                    java.util.Arrays.fill(g, o, o + v, 0f);
                    continue;
                }
                float weight = (float) Math.pow(DECAY, j) * scale;
                float max = Float.NEGATIVE_INFINITY;
                for (int i = 0; i < v; i++) {
                    max = Math.max(max, g[o + i]);
                }
                double sum = 0;
                for (int i = 0; i < v; i++) {
                    sum += Math.exp(g[o + i] - max);
                }
                loss += Math.pow(DECAY, j) * (Math.log(sum) + max - g[o + labels[j]]);
                for (int i = 0; i < v; i++) {
                    g[o + i] = (float) (Math.exp(g[o + i] - max) / sum) * weight;
                }
                g[o + labels[j]] -= weight;
            }
        }
        Tensor gz = Tensor.allocate(rows, d);
        backend.matmul(gz, logits, classifierT, rows);
        float[] gzArr = gz.array();
        float[][] gw = adam.gradW;
        float[][] gb = adam.gradB;
        for (float[] a : gw) {
            java.util.Arrays.fill(a, 0f);
        }
        for (float[] a : gb) {
            java.util.Arrays.fill(a, 0f);
        }
        float[] x = new float[in];
        float[] gu = new float[d];
        for (int e = 0; e < batch.size(); e++) {
            float[] h = batch.get(e).h();
            float[] carry = new float[d]; // gradient reaching z_j from head j + 1 (Cerberus)
            for (int j = k - 1; j >= 0; j--) {
                float[] u = pre[e][j];
                int go = (e * k + j) * d;
                for (int r = 0; r < d; r++) {
                    float gzr = gzArr[go + r] + carry[r];
                    float sig = 1f / (1f + (float) Math.exp(-u[r]));
                    gu[r] = gzr * sig * (1f + u[r] * (1f - sig));
                }
                System.arraycopy(h, 0, x, 0, d);
                if (heads.kind() == HeadKind.CERBERUS) {
                    System.arraycopy(j == 0 ? h : z[e][j - 1], 0, x, d, d);
                    System.arraycopy(embedding.row(batch.get(e).prev()[j]), 0, x, 2 * d, d);
                }
                float[] gwj = gw[j];
                float[] wj = heads.w[j];
                java.util.Arrays.fill(carry, 0f);
                for (int r = 0; r < d; r++) {
                    float gur = gu[r];
                    gb[j][r] += gur;
                    int ro = r * in;
                    for (int i = 0; i < in; i++) {
                        gwj[ro + i] += gur * x[i];
                    }
                    if (heads.kind() == HeadKind.CERBERUS && j > 0) {
                        for (int i = 0; i < d; i++) {
                            carry[i] += wj[ro + d + i] * gur;
                        }
                    }
                }
            }
        }
        adam.apply(heads, settings.learningRate(), t);
        return loss / batch.size();
    }

    /** Adam state for every head's W and b, and the gradients of the current batch. */
    private static final class Adam {
        final float[][] gradW;
        final float[][] gradB;
        final float[][] mW;
        final float[][] vW;
        final float[][] mB;
        final float[][] vB;

        final Heads target;

        Adam(Heads heads) {
            this.target = heads;
            int k = heads.count();
            gradW = new float[k][heads.w[0].length];
            gradB = new float[k][heads.dim()];
            mW = new float[k][heads.w[0].length];
            vW = new float[k][heads.w[0].length];
            mB = new float[k][heads.dim()];
            vB = new float[k][heads.dim()];
        }

        void apply(Heads heads, float lr, long t) {
            double c1 = 1 - Math.pow(BETA1, t);
            double c2 = 1 - Math.pow(BETA2, t);
            float step = (float) (lr * Math.sqrt(c2) / c1);
            for (int k = 0; k < heads.count(); k++) {
                update(heads.w[k], gradW[k], mW[k], vW[k], step);
                update(heads.b[k], gradB[k], mB[k], vB[k], step);
            }
        }

        private static void update(float[] p, float[] g, float[] m, float[] v, float step) {
            for (int i = 0; i < p.length; i++) {
                m[i] = BETA1 * m[i] + (1 - BETA1) * g[i];
                v[i] = BETA2 * v[i] + (1 - BETA2) * g[i] * g[i];
                p[i] -= step * m[i] / ((float) Math.sqrt(v[i]) + EPS);
            }
        }

        void save(Path file, Settings s, int examples, long step) {
            Map<String, Safetensors.Entry> t = new LinkedHashMap<>();
            for (int k = 0; k < mW.length; k++) {
                t.put("heads." + k + ".w", entry(target.w[k]));
                t.put("heads." + k + ".b", entry(target.b[k]));
                t.put("adam." + k + ".mw", entry(mW[k]));
                t.put("adam." + k + ".vw", entry(vW[k]));
                t.put("adam." + k + ".mb", entry(mB[k]));
                t.put("adam." + k + ".vb", entry(vB[k]));
            }
            Map<String, String> meta = new LinkedHashMap<>();
            meta.put("format", "tandem-heads-checkpoint");
            meta.put("settings", s.toString());
            meta.put("examples", Integer.toString(examples));
            meta.put("step", Long.toString(step));
            Safetensors.write(file, t, meta);
        }

        long restore(Path file, Settings s, int examples) {
            Safetensors.Contents c = Safetensors.read(file);
            Map<String, String> meta = c.metadata();
            if (!"tandem-heads-checkpoint".equals(meta.get("format")) || !s.toString().equals(meta.get("settings"))
                    || !Integer.toString(examples).equals(meta.get("examples"))) {
                throw new TandemException("checkpoint " + file + " belongs to another training run (" + Shown.quote(meta.get("settings"))
                        + "); delete it or pass --fresh to start over");
            }
            for (int k = 0; k < mW.length; k++) {
                copy(c, "heads." + k + ".w", target.w[k]);
                copy(c, "heads." + k + ".b", target.b[k]);
                copy(c, "adam." + k + ".mw", mW[k]);
                copy(c, "adam." + k + ".vw", vW[k]);
                copy(c, "adam." + k + ".mb", mB[k]);
                copy(c, "adam." + k + ".vb", vB[k]);
            }
            return Long.parseLong(meta.get("step"));
        }

        private static void copy(Safetensors.Contents c, String name, float[] into) {
            Safetensors.Entry e = c.tensors().get(name);
            if (e == null || e.values().length != into.length) {
                throw new TandemException("checkpoint is corrupt: tensor " + name);
            }
            System.arraycopy(e.values(), 0, into, 0, into.length);
        }

        private static Safetensors.Entry entry(float[] values) {
            return new Safetensors.Entry(new long[] {values.length}, values);
        }
    }
}
