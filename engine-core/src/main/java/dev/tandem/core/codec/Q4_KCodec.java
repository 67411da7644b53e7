package dev.tandem.core.codec;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Q4_K (144 bytes): d, dmin, 12 bytes of 6-bit scales and mins ({@link KQuantScales}), qs[128] of 4-bit values.
 * Encoded as GGML's {@code quantize_row_q4_k_ref} (what {@code llama-quantize} does without an importance
 * matrix); decoded with the arithmetic of GGML's {@code dequantize_row_*}, in the same order (no fused multiply-add).
 */
public final class Q4_KCodec extends BlockCodec {
    public Q4_KCodec() {
        super(256, 144, true);
    }

    @Override
    protected void decodeBlock(MemorySegment s, long o, float[] y, int k) {
        float d = half(s, o), dmin = half(s, o + 2);
        long sc = o + 4, q = o + 16;
        for (int j = 0, is = 0; j < 256; j += 64, is += 2, q += 32) {
            float d1 = d * KQuantScales.scale(s, sc, is), m1 = dmin * KQuantScales.min(s, sc, is);
            float d2 = d * KQuantScales.scale(s, sc, is + 1), m2 = dmin * KQuantScales.min(s, sc, is + 1);
            for (int l = 0; l < 32; l++) {
                y[k + j + l] = d1 * (u8(s, q + l) & 0xF) - m1;
            }
            for (int l = 0; l < 32; l++) {
                y[k + j + 32 + l] = d2 * (u8(s, q + l) >>> 4) - m2;
            }
        }
    }

    @Override
    protected void encodeBlock(float[] x, int k, MemorySegment dst, long o) {
        int[] levels = new int[256];
        KQuantRounding.scalesAndMins(x, k, 15, -1f, 20, dst, o, levels);
        for (int g = 0; g < 4; g++) { // 64 values a group: the low nibbles of 32 bytes, then their high nibbles
            for (int l = 0; l < 32; l++) {
                dst.set(ValueLayout.JAVA_BYTE, o + 16 + 32L * g + l, (byte) (levels[64 * g + l] | (levels[64 * g + 32 + l] << 4)));
            }
        }
    }
}
