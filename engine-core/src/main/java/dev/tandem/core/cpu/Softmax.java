package dev.tandem.core.cpu;

/** Numerically stable softmax on a slice of an array (subtracts the max before exponentiating). */
public final class Softmax {
    private Softmax() {}

    public static void inPlace(float[] x, int offset, int n) {
        float max = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) {
            max = Math.max(max, x[offset + i]);
        }
        float sum = 0f;
        for (int i = 0; i < n; i++) {
            float e = (float) Math.exp(x[offset + i] - max);
            x[offset + i] = e;
            sum += e;
        }
        for (int i = 0; i < n; i++) {
            x[offset + i] /= sum;
        }
    }
}
