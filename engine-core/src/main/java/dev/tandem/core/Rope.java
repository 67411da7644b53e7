package dev.tandem.core;

/**
 * How a model rotates query and key pairs.
 *
 * @param theta       base of the frequencies {@code theta^(-2i/headSize)}
 * @param halfSplit   false: pairs are adjacent ({@code x[2i], x[2i+1]}: llama2.c, GGUF "llama"); true: pairs are
 *                    {@code x[i], x[i + headSize/2]} (Hugging Face's rotate_half, GGUF "qwen2")
 * @param freqFactors per-pair divisors of the frequencies (Llama 3 RoPE scaling), or null
 */
public record Rope(float theta, boolean halfSplit, float[] freqFactors) {
    public static Rope adjacent(float theta) {
        return new Rope(theta, false, null);
    }

    public Rope {
        if (!(theta > 0) || Float.isInfinite(theta)) {
            throw new TandemException("rope theta must be positive, got " + theta);
        }
        if (freqFactors != null) {
            for (float f : freqFactors) {
                if (!(f > 0) || Float.isInfinite(f)) {
                    throw new TandemException("rope frequency factors must be positive, got " + f);
                }
            }
        }
    }

    /** The same rotation with the other pair layout (weights permuted to match). */
    public Rope withHalfSplit(boolean half) {
        return new Rope(theta, half, freqFactors);
    }

    /**
     * Llama 3's frequency factors ({@code rope_scaling.rope_type = "llama3"}): long wavelengths are slowed by
     * {@code factor}, short ones kept, the band between blended smoothly.
     */
    public static float[] llama3Factors(int headSize, float theta, float factor, float lowFreqFactor,
                                        float highFreqFactor, int originalContext) {
        float[] out = new float[headSize / 2];
        double lowWavelen = originalContext / lowFreqFactor;
        double highWavelen = originalContext / highFreqFactor;
        for (int i = 0; i < out.length; i++) {
            double freq = 1.0 / Math.pow(theta, (2.0 * i) / headSize);
            double wavelen = 2 * Math.PI / freq;
            if (wavelen < highWavelen) {
                out[i] = 1f;
            } else if (wavelen > lowWavelen) {
                out[i] = factor;
            } else {
                double smooth = (originalContext / wavelen - lowFreqFactor) / (highFreqFactor - lowFreqFactor);
                out[i] = (float) (1.0 / ((1 - smooth) / factor + smooth));
            }
        }
        return out;
    }
}
