package dev.tandem.decoding;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Turns logits into the distribution to sample from and draws from it with a seeded generator, so a run
 * with the same seed and settings gives the same tokens. Speculative verifiers use {@link #distribution}
 * for both target and draft so that the filters apply identically to p and q.
 */
public final class Sampler {
    private final SamplingParams params;
    private final SplittableRandom random;

    public Sampler(SamplingParams params) {
        this.params = params;
        this.random = new SplittableRandom(params.seed());
    }

    public SamplingParams params() {
        return params;
    }

    /** The next token: argmax when greedy, else a draw from {@link #distribution}. */
    public int sample(float[] logits) {
        if (params.greedy()) {
            return argmax(logits);
        }
        return draw(distribution(logits));
    }

    /** A uniform number in [0, 1) from this sampler's stream. */
    public double nextUniform() {
        return random.nextDouble();
    }

    /** Draws an index from probabilities that sum to about 1. */
    public int draw(float[] probs) {
        double u = random.nextDouble();
        double cdf = 0;
        int last = -1;
        for (int i = 0; i < probs.length; i++) {
            if (probs[i] > 0) {
                cdf += probs[i];
                last = i;
                if (u < cdf) {
                    return i;
                }
            }
        }
        return last; // rounding left u above the total
    }

    /** Probabilities after temperature, top-k, top-p and min-p (zero outside the kept set), summing to 1. */
    public float[] distribution(float[] logits) {
        int n = logits.length;
        float[] p = new float[n];
        if (params.greedy()) {
            p[argmax(logits)] = 1f;
            return p;
        }
        float max = Float.NEGATIVE_INFINITY;
        for (float l : logits) {
            max = Math.max(max, l);
        }
        double sum = 0;
        for (int i = 0; i < n; i++) {
            p[i] = (float) Math.exp((logits[i] - max) / params.temperature());
            sum += p[i];
        }
        for (int i = 0; i < n; i++) {
            p[i] /= (float) sum;
        }
        boolean filtered = false;
        if (params.topK() > 0 && params.topK() < n) {
            float kth = kthLargest(p, params.topK());
            int kept = 0;
            // ties at the k-th value: keep the lowest ids so exactly k survive
            for (int i = 0; i < n; i++) {
                if (p[i] > kth) {
                    kept++;
                }
            }
            int tiesAllowed = params.topK() - kept;
            for (int i = 0; i < n; i++) {
                if (p[i] < kth || (p[i] == kth && tiesAllowed-- <= 0)) {
                    p[i] = 0f;
                }
            }
            filtered = true;
        }
        if (params.topP() < 1f) {
            Integer[] order = new Integer[n];
            for (int i = 0; i < n; i++) {
                order[i] = i;
            }
            float[] probs = p;
            Arrays.sort(order, (a, b) -> probs[a] != probs[b] ? Float.compare(probs[b], probs[a]) : Integer.compare(a, b));
            double total = 0;
            for (float v : p) {
                total += v;
            }
            double cum = 0;
            int keep = 0;
            while (keep < n && p[order[keep]] > 0) {
                cum += p[order[keep]];
                keep++;
                if (cum >= params.topP() * total) {
                    break;
                }
            }
            for (int i = keep; i < n; i++) {
                p[order[i]] = 0f;
            }
            filtered = true;
        }
        if (params.minP() > 0f) {
            float top = 0f;
            for (float v : p) {
                top = Math.max(top, v);
            }
            float floor = params.minP() * top;
            for (int i = 0; i < n; i++) {
                if (p[i] < floor) {
                    p[i] = 0f;
                }
            }
            filtered = true;
        }
        if (filtered) {
            double s = 0;
            for (float v : p) {
                s += v;
            }
            for (int i = 0; i < n; i++) {
                p[i] = (float) (p[i] / s);
            }
        }
        return p;
    }

    private static float kthLargest(float[] p, int k) {
        float[] sorted = p.clone();
        Arrays.sort(sorted);
        return sorted[sorted.length - k];
    }

    /** Index of the largest value (the first one on ties), as the reference implementation picks. */
    public static int argmax(float[] v) {
        int best = 0;
        for (int i = 1; i < v.length; i++) {
            if (v[i] > v[best]) {
                best = i;
            }
        }
        return best;
    }
}
