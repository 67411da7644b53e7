package dev.tandem.core;

import dev.tandem.core.cpu.Softmax;

/**
 * Math that decoding does on the host, on logits a forward pass has already handed back as {@code float[]},
 * whatever backend ran the pass: drafters' probabilities, a gate's entropy, a lenient review. It is not a
 * {@link Backend} operation (a GPU backend would copy the row over and back for nothing); the vectorized
 * CPU kernel serves it because the host is a CPU.
 */
public final class HostMath {
    private HostMath() {}

    /** softmax(logits) as a new array; the same bits for the same input on every call. */
    public static float[] softmax(float[] logits) {
        float[] p = logits.clone();
        Softmax.inPlace(p, 0, p.length);
        return p;
    }
}
