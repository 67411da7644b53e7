package dev.tandem.core.codec;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Q4_K (144 bytes: d, dmin, 12 bytes of 6-bit scales and mins ({@link KQuantScales}), qs[128] of 4-bit values) and
 * Q5_K (176 bytes: the same with qh[32], each value's fifth bit, before qs): eight 32-value groups, value = d sc_g q -
 * dmin m_g. Encoded as GGML's {@code quantize_row_q4_K_ref} / {@code quantize_row_q5_K_ref} (what {@code llama-quantize}
 * does without an importance matrix); decoded with the arithmetic of GGML's {@code dequantize_row_*}, in the same
 * order (no fused multiply-add). One class: Q5_K is Q4_K's layout and arithmetic with a plane of fifth bits.
 */
public final class ScaleMinCodec extends BlockCodec {
    private final boolean fifthBits;
    private final int nibbles; // offset of qs in the block

    private ScaleMinCodec(boolean fifthBits) {
        super(256, fifthBits ? 176 : 144, true);
        this.fifthBits = fifthBits;
        this.nibbles = fifthBits ? 48 : 16;
    }

    public static ScaleMinCodec q4K() {
        return new ScaleMinCodec(false);
    }

    public static ScaleMinCodec q5K() {
        return new ScaleMinCodec(true);
    }

    @Override
    protected void decodeBlock(MemorySegment s, long o, float[] y, int k) {
        float d = half(s, o), dmin = half(s, o + 2);
        long sc = o + 4, qh = o + 16, q = o + nibbles;
        int u1 = 1, u2 = 2; // group 2i's fifth bits are bit 2i of qh's bytes, group 2i + 1's bit 2i + 1
        for (int j = 0, is = 0; j < 256; j += 64, is += 2, q += 32, u1 <<= 2, u2 <<= 2) {
            float d1 = d * KQuantScales.scale(s, sc, is), m1 = dmin * KQuantScales.min(s, sc, is);
            float d2 = d * KQuantScales.scale(s, sc, is + 1), m2 = dmin * KQuantScales.min(s, sc, is + 1);
            for (int l = 0; l < 32; l++) {
                y[k + j + l] = d1 * ((u8(s, q + l) & 0xF) + fifth(s, qh + l, u1)) - m1;
            }
            for (int l = 0; l < 32; l++) {
                y[k + j + 32 + l] = d2 * ((u8(s, q + l) >>> 4) + fifth(s, qh + l, u2)) - m2;
            }
        }
    }

    /** 16 where the value's fifth bit (bit {@code u} of the qh byte at {@code at}) is set; 0 for Q4_K. */
    private int fifth(MemorySegment s, long at, int u) {
        return fifthBits && (u8(s, at) & u) != 0 ? 16 : 0;
    }

    @Override
    protected void encodeBlock(float[] x, int k, MemorySegment dst, long o) {
        int[] levels = new int[256];
        if (fifthBits) {
            KQuantRounding.scalesAndMins(x, k, 31, -0.5f, 15, dst, o, levels);
        } else {
            KQuantRounding.scalesAndMins(x, k, 15, -1f, 20, dst, o, levels);
        }
        byte[] qh = new byte[32];
        for (int g = 0; g < 4; g++) { // 64 values a group: the low nibbles of 32 bytes, then their high nibbles
            for (int l = 0; l < 32; l++) {
                int l1 = levels[64 * g + l], l2 = levels[64 * g + 32 + l];
                if (l1 > 15) { // Q5_K only: the fifth bits of group g in bits 2g and 2g + 1 of qh
                    l1 -= 16;
                    qh[l] |= (byte) (1 << (2 * g));
                }
                if (l2 > 15) {
                    l2 -= 16;
                    qh[l] |= (byte) (2 << (2 * g));
                }
                dst.set(ValueLayout.JAVA_BYTE, o + nibbles + 32L * g + l, (byte) (l1 | (l2 << 4)));
            }
        }
        if (fifthBits) {
            MemorySegment.copy(qh, 0, dst, ValueLayout.JAVA_BYTE, o + 16, 32);
        }
    }
}
