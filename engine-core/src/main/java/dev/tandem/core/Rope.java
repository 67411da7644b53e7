package dev.tandem.core;

/**
 * How a model rotates query and key pairs.
 *
 * @param theta       base of the frequencies {@code theta^(-2i/headSize)}
 * @param halfSplit   false: pairs are adjacent ({@code x[2i], x[2i+1]}: llama2.c, GGUF "llama"); true: pairs are
 *                    {@code x[i], x[i + headSize/2]} (Hugging Face's rotate_half, GGUF "qwen2")
 * @param freqFactors per-pair divisors of the frequencies (Llama 3 and YaRN RoPE scaling, linear scaling), or null
 * @param magnitude   what every cosine and sine is multiplied by: 1, or YaRN's attention factor (queries and keys
 *                    both grow by it, so attention logits by its square)
 */
public record Rope(float theta, boolean halfSplit, float[] freqFactors, float magnitude) {
    public static Rope adjacent(float theta) {
        return new Rope(theta, false, null);
    }

    /** Without a magnitude factor (every scaling but YaRN). */
    public Rope(float theta, boolean halfSplit, float[] freqFactors) {
        this(theta, halfSplit, freqFactors, 1f);
    }

    public Rope {
        if (!(magnitude > 0) || Float.isInfinite(magnitude)) {
            throw new TandemException("rope magnitude (attention factor) must be positive, got " + magnitude);
        }
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

    /** Whether the rotation is scaled at all: frequency factors, or a magnitude other than 1 (YaRN's attention factor). */
    public boolean scaled() {
        return freqFactors != null || magnitude != 1f;
    }

    /** The same rotation with the other pair layout (weights permuted to match). */
    public Rope withHalfSplit(boolean half) {
        return new Rope(theta, half, freqFactors, magnitude);
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

    /**
     * YaRN's frequency factors ({@code rope_scaling.rope_type = "yarn"}, GGUF {@code rope.scaling.type = yarn}), as
     * llama.cpp's {@code rope_yarn} and transformers' {@code _compute_yarn_parameters} blend them: pair i keeps its
     * frequency (extrapolation) below the correction range [low, high] of {@code betaFast} and {@code betaSlow}
     * rotations over {@code originalContext} positions, is slowed by {@code factor} (interpolation) above it, and is
     * blended linearly between; as a divisor of the frequency, {@code 1 / ((1 - mix) / factor + mix)}.
     */
    public static float[] yarnFactors(int headSize, float theta, float factor, int originalContext, float betaFast,
                                      float betaSlow) {
        double low = Math.max(0, Math.floor(yarnCorrectionDim(headSize, originalContext, betaFast, theta)));
        double high = Math.min(headSize - 1, Math.ceil(yarnCorrectionDim(headSize, originalContext, betaSlow, theta)));
        float[] out = new float[headSize / 2];
        for (int i = 0; i < out.length; i++) {
            double ramp = (i - low) / Math.max(0.001, high - low);
            double mix = 1 - Math.min(1, Math.max(0, ramp)); // weight of the original frequency
            out[i] = (float) (1.0 / ((1 - mix) / factor + mix));
        }
        return out;
    }

    /** The pair whose wavelength fits {@code rotations} times into {@code originalContext} positions (fractional). */
    private static double yarnCorrectionDim(int headSize, int originalContext, float rotations, float theta) {
        return headSize * Math.log(originalContext / (rotations * 2 * Math.PI)) / (2 * Math.log(theta));
    }

    /** YaRN's attention factor: {@code 0.1 ln(factor) + 1} (1 for factors up to 1), times a file's own attention factor. */
    public static float yarnMagnitude(float factor, float attentionFactor) {
        return (float) ((factor <= 1 ? 1 : 0.1 * Math.log(factor) + 1) * attentionFactor);
    }
}
