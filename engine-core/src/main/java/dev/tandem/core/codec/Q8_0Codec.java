package dev.tandem.core.codec;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Q8_0 (34 bytes): an F16 scale {@code d}, then 32 signed bytes {@code q}; value = {@code d * q}. Encoded as
 * GGML's {@code quantize_row_q8_0_ref}: {@code d = amax / 127}, values rounded half away from zero.
 */
public final class Q8_0Codec extends BlockCodec {
    public Q8_0Codec() {
        super(32, 34, true);
    }

    @Override
    protected void decodeBlock(MemorySegment s, long o, float[] y, int k) {
        float d = half(s, o);
        for (int i = 0; i < 32; i++) {
            y[k + i] = s.get(ValueLayout.JAVA_BYTE, o + 2 + i) * d;
        }
    }

    @Override
    protected void encodeBlock(float[] x, int k, MemorySegment dst, long o) {
        float amax = 0;
        for (int i = 0; i < 32; i++) {
            amax = Math.max(amax, Math.abs(x[k + i]));
        }
        float d = amax / 127;
        float id = d != 0 ? 1 / d : 0;
        dst.set(I16, o, Float.floatToFloat16(d));
        for (int i = 0; i < 32; i++) {
            dst.set(ValueLayout.JAVA_BYTE, o + 2 + i, (byte) roundHalfAway(x[k + i] * id));
        }
    }

    /** C's roundf: halves round away from zero. */
    private static int roundHalfAway(float v) {
        return (int) (v < 0 ? -Math.floor(-v + 0.5f) : Math.floor(v + 0.5f));
    }
}
