package dev.tandem.core.codec;

/** F16: IEEE half precision, rounded to nearest even on the way in. */
public final class F16Codec extends HalfWidthCodec {
    @Override
    protected float toFloat(short bits) {
        return Float.float16ToFloat(bits);
    }

    @Override
    protected short fromFloat(float v) {
        return Float.floatToFloat16(v);
    }
}
