package dev.tandem.decoding.heads;

import dev.tandem.core.Shown;
import dev.tandem.core.TandemException;
import dev.tandem.models.LlamaConfig;
import dev.tandem.models.io.Safetensors;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Hidden Transfer's trained linear maps: for offset i = 1..k, {@code W_i h + b_i} turns the residual
 * stream of the last real token after {@code layer} layers into a pseudo state of the token i positions
 * later, which then runs through the remaining layers.
 *
 * <p>Fitting (our simplification of the paper's KL objective, which would need back-propagation through
 * the remaining layers): ridge regression of the true layer-{@code layer} state of the token i positions
 * ahead on the current one, over the model's own text, solved in closed form.
 */
public final class TransferMaps {
    public static final String FORMAT = "tandem-hidden-transfer";
    private final int layer;
    private final int dim;
    private final String modelName;
    private final float[][] w; // w[i]: dim x dim
    private final float[][] b;

    TransferMaps(int layer, int dim, int count, String modelName) {
        this.layer = layer;
        this.dim = dim;
        this.modelName = modelName;
        this.w = new float[count][dim * dim];
        this.b = new float[count][dim];
    }

    public int layer() {
        return layer;
    }

    public int count() {
        return w.length;
    }

    String modelName() {
        return modelName;
    }

    float[] w(int i) {
        return w[i];
    }

    float[] b(int i) {
        return b[i];
    }

    /** The pseudo states for an anchor state h, the products on the backend (drafting). */
    public float[][] apply(float[] h, dev.tandem.core.Backend backend) {
        float[][] out = new float[w.length][];
        for (int i = 0; i < w.length; i++) {
            out[i] = Heads.affine(backend, w[i], b[i], dim, dim, h);
        }
        return out;
    }

    /** The pseudo states for an anchor state h (fitting's scalar loop). */
    public float[][] apply(float[] h) {
        float[][] out = new float[w.length][dim];
        for (int i = 0; i < w.length; i++) {
            for (int r = 0; r < dim; r++) {
                float s = b[i][r];
                int ro = r * dim;
                for (int c = 0; c < dim; c++) {
                    s += w[i][ro + c] * h[c];
                }
                out[i][r] = s;
            }
        }
        return out;
    }

    /**
     * Fits {@code count} maps on sequences of layer states ({@code states.get(s)[t]}: the state after
     * {@code layer} layers at position t of sequence s); returns the maps and the mean squared error per
     * offset on the fitted data.
     */
    public static TransferMaps fit(List<float[][]> states, int layer, int count, String modelName, double[] mse) {
        int d = states.get(0)[0].length;
        TransferMaps maps = new TransferMaps(layer, d, count, modelName);
        int p = d + 1; // [h; 1] for the bias
        for (int i = 0; i < count; i++) {
            double[][] xtx = new double[p][p];
            double[][] xty = new double[p][d];
            long pairs = 0;
            double[] x = new double[p];
            for (float[][] seq : states) {
                for (int t = 0; t + i + 1 < seq.length; t++) {
                    float[] from = seq[t];
                    float[] to = seq[t + i + 1];
                    for (int a = 0; a < d; a++) {
                        x[a] = from[a];
                    }
                    x[d] = 1;
                    for (int a = 0; a < p; a++) {
                        double xa = x[a];
                        for (int c = a; c < p; c++) {
                            xtx[a][c] += xa * x[c];
                        }
                        for (int c = 0; c < d; c++) {
                            xty[a][c] += xa * to[c];
                        }
                    }
                    pairs++;
                }
            }
            if (pairs < p) {
                throw new TandemException("too little text to fit hidden transfers (" + pairs + " pairs); use more --tokens");
            }
            double trace = 0;
            for (int a = 0; a < p; a++) {
                for (int c = 0; c < a; c++) {
                    xtx[a][c] = xtx[c][a];
                }
                trace += xtx[a][a];
            }
            double ridge = 1e-3 * trace / p;
            for (int a = 0; a < d; a++) {
                xtx[a][a] += ridge; // the bias is not shrunk
            }
            double[][] sol = Cholesky.solve(xtx, xty); // p x d: row a is the weight of input a for every output
            for (int r = 0; r < d; r++) {
                for (int c = 0; c < d; c++) {
                    maps.w[i][r * d + c] = (float) sol[c][r];
                }
                maps.b[i][r] = (float) sol[d][r];
            }
            if (mse != null) {
                double err = 0;
                for (float[][] seq : states) {
                    for (int t = 0; t + i + 1 < seq.length; t++) {
                        float[] pred = maps.apply(seq[t])[i];
                        for (int c = 0; c < d; c++) {
                            double e = pred[c] - seq[t + i + 1][c];
                            err += e * e;
                        }
                    }
                }
                mse[i] = err / (pairs * d);
            }
        }
        return maps;
    }

    public void save(Path file, Map<String, String> notes) {
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("format", FORMAT);
        meta.put("kind", "hidden-transfer");
        meta.put("layer", Integer.toString(layer));
        meta.put("transfers", Integer.toString(w.length));
        meta.put("dim", Integer.toString(dim));
        meta.put("model", modelName);
        meta.putAll(notes);
        Map<String, Safetensors.Entry> t = new LinkedHashMap<>();
        for (int i = 0; i < w.length; i++) {
            t.put("transfer." + i + ".w", new Safetensors.Entry(new long[] {dim, dim}, w[i]));
            t.put("transfer." + i + ".b", new Safetensors.Entry(new long[] {dim}, b[i]));
        }
        Safetensors.write(file, t, meta);
    }

    public static TransferMaps load(Path file, LlamaConfig model) {
        DraftWeightsFile f = DraftWeightsFile.read(file, FORMAT, "hidden-transfer file");
        int layer = f.integer("layer");
        int count = f.integer("transfers");
        int dim = f.integer("dim");
        if (dim != model.dim() || layer < 1 || layer >= model.layers()) {
            throw new TandemException("hidden-transfer file " + file + " belongs to another model (" + Shown.quote(f.metadata().get("model"))
                    + ": hidden size " + dim + ", layer " + layer + "); this model has hidden size " + model.dim()
                    + " and " + model.layers() + " layers");
        }
        if (count < 1 || count > 16) {
            throw new TandemException("hidden-transfer file " + file + " has an invalid transfer count " + count);
        }
        TransferMaps maps = new TransferMaps(layer, dim, count, f.metadata().getOrDefault("model", "?"));
        for (int i = 0; i < count; i++) {
            maps.w[i] = f.tensor("transfer." + i + ".w", dim * dim);
            maps.b[i] = f.tensor("transfer." + i + ".b", dim);
        }
        return maps;
    }
}
