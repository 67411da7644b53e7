package dev.tandem.core.codec;

/** BF16: the high 16 bits of an F32, rounded to nearest even on the way in; NaN stays a (quiet) NaN. */
public final class BF16Codec extends HalfWidthCodec {
    @Override
    protected float toFloat(short bits) {
        return Float.intBitsToFloat(bits << 16);
    }

    @Override
    protected short fromFloat(float v) {
        return toBf16(v);
    }

    /** bfloat16 bits of {@code v}, rounded to nearest even; NaN stays a (quiet) NaN. */
    public static short toBf16(float v) {
        int bits = Float.floatToRawIntBits(v);
        if (Float.isNaN(v)) {
            return (short) ((bits >>> 16) | 0x40);
        }
        return (short) ((bits + 0x7FFF + ((bits >>> 16) & 1)) >>> 16);
    }
}
