package dev.tandem.core;

/**
 * Rotary position embedding angles, precomputed once per model: {@code cos/sin(pos * theta^(-2i/headSize))}
 * for every position and pair (frequencies divided by the rope's factors; YaRN's magnitude multiplied in).
 * Computed in float like the llama2.c reference so logits agree to 1e-6.
 */
public final class RopeTable {
    private final int headSize;
    private final int maxPositions;
    private final float[] cos;
    private final float[] sin;
    private final boolean halfSplit;

    /** Adjacent pairs, no scaling (llama2.c). */
    public RopeTable(int headSize, int maxPositions, float theta) {
        this(headSize, maxPositions, Rope.adjacent(theta));
    }

    public RopeTable(int headSize, int maxPositions, Rope rope) {
        if (headSize % 2 != 0) {
            throw new TandemException("head size " + headSize + " is odd; RoPE rotates pairs");
        }
        this.headSize = headSize;
        this.maxPositions = maxPositions;
        this.halfSplit = rope.halfSplit();
        float theta = rope.theta();
        float[] factors = rope.freqFactors();
        int half = headSize / 2;
        if (factors != null && factors.length != half) {
            throw new TandemException("rope has " + factors.length + " frequency factors for a head size of " + headSize
                    + " (needs " + half + ")");
        }
        this.cos = new float[maxPositions * half];
        this.sin = new float[maxPositions * half];
        for (int pos = 0; pos < maxPositions; pos++) {
            for (int i = 0; i < half; i++) {
                float freq = (float) (1.0 / Math.pow(theta, (2 * i) / (float) headSize));
                if (factors != null) {
                    freq /= factors[i];
                }
                float angle = pos * freq;
                cos[pos * half + i] = (float) Math.cos(angle);
                sin[pos * half + i] = (float) Math.sin(angle);
                if (rope.magnitude() != 1f) {
                    cos[pos * half + i] *= rope.magnitude();
                    sin[pos * half + i] *= rope.magnitude();
                }
            }
        }
    }

    public int headSize() {
        return headSize;
    }

    /** Whether pair i is {@code (x[i], x[i + headSize/2])} rather than {@code (x[2i], x[2i+1])}. */
    public boolean halfSplit() {
        return halfSplit;
    }

    public int maxPositions() {
        return maxPositions;
    }

    public float cos(int pos, int pair) {
        return cos[pos * (headSize / 2) + pair];
    }

    public float sin(int pos, int pair) {
        return sin[pos * (headSize / 2) + pair];
    }

    float[] cosArray() {
        return cos;
    }

    float[] sinArray() {
        return sin;
    }
}
