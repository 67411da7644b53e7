package dev.tandem.core;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * Scalar decoders of the GGML block types that the files people download use besides Q8_0/Q4_0: the
 * 32-value Q4_1, Q5_0 and Q5_1, and the 256-value "K-quant" super-blocks Q2_K..Q6_K (what llama.cpp's
 * Q4_K_M, Q5_K_M and Q6_K files are made of). Each decodes one block to floats with the arithmetic of
 * GGML's {@code dequantize_row_*} reference routines, in the same order (no fused multiply-add), so values
 * are bitwise those of llama.cpp's reference dequantization ({@code KQuantsReferenceTest} checks them against
 * gguf-py's). Tandem reads these types; it does not write them.
 */
public final class KQuants {
    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private KQuants() {}

    /** Decodes the block at byte {@code o} of src into {@code y[k .. k + type.blockSize())}. */
    static void decodeBlock(DType type, MemorySegment src, long o, float[] y, int k) {
        switch (type) {
            case Q4_1 -> q4_1(src, o, y, k);
            case Q5_0 -> q5_0(src, o, y, k);
            case Q5_1 -> q5_1(src, o, y, k);
            case Q2_K -> q2K(src, o, y, k);
            case Q3_K -> q3K(src, o, y, k);
            case Q4_K -> q4K(src, o, y, k);
            case Q5_K -> q5K(src, o, y, k);
            case Q6_K -> q6K(src, o, y, k);
            default -> throw new IllegalArgumentException(type + " is not decoded here");
        }
    }

    private static int u8(MemorySegment s, long o) {
        return s.get(ValueLayout.JAVA_BYTE, o) & 0xFF;
    }

    private static float half(MemorySegment s, long o) {
        return Float.float16ToFloat(s.get(I16, o));
    }

    // 32-value blocks: d (and m) as halves, then the 4-bit values (low nibbles are values 0..15, high 16..31)

    private static void q4_1(MemorySegment s, long o, float[] y, int k) {
        float d = half(s, o), m = half(s, o + 2);
        for (int j = 0; j < 16; j++) {
            int q = u8(s, o + 4 + j);
            y[k + j] = (q & 0x0F) * d + m;
            y[k + j + 16] = (q >>> 4) * d + m;
        }
    }

    private static void q5_0(MemorySegment s, long o, float[] y, int k) {
        float d = half(s, o);
        int qh = s.get(I32, o + 2);
        for (int j = 0; j < 16; j++) {
            int q = u8(s, o + 6 + j);
            int h0 = ((qh >>> j) << 4) & 0x10;
            int h1 = (qh >>> (j + 12)) & 0x10;
            y[k + j] = (((q & 0x0F) | h0) - 16) * d;
            y[k + j + 16] = (((q >>> 4) | h1) - 16) * d;
        }
    }

    private static void q5_1(MemorySegment s, long o, float[] y, int k) {
        float d = half(s, o), m = half(s, o + 2);
        int qh = s.get(I32, o + 4);
        for (int j = 0; j < 16; j++) {
            int q = u8(s, o + 8 + j);
            int h0 = ((qh >>> j) << 4) & 0x10;
            int h1 = (qh >>> (j + 12)) & 0x10;
            y[k + j] = ((q & 0x0F) | h0) * d + m;
            y[k + j + 16] = ((q >>> 4) | h1) * d + m;
        }
    }

    // 256-value super-blocks

    /** Q2_K (84 bytes): scales[16] (low nibble scale, high nibble min), qs[64] of 2-bit values, d, dmin. */
    private static void q2K(MemorySegment s, long o, float[] y, int k) {
        long scales = o, qs = o + 16;
        float d = half(s, o + 80), min = half(s, o + 82);
        int is = 0;
        for (int n = 0; n < 256; n += 128) {
            long q = qs + n / 4;
            for (int shift = 0; shift < 8; shift += 2) {
                int sc = u8(s, scales + is++);
                float dl = d * (sc & 0xF), ml = min * (sc >>> 4);
                for (int l = 0; l < 16; l++) {
                    y[k++] = dl * ((u8(s, q + l) >>> shift) & 3) - ml;
                }
                sc = u8(s, scales + is++);
                dl = d * (sc & 0xF);
                ml = min * (sc >>> 4);
                for (int l = 0; l < 16; l++) {
                    y[k++] = dl * ((u8(s, q + 16 + l) >>> shift) & 3) - ml;
                }
            }
        }
    }

    /** Q3_K (110 bytes): hmask[32] (third bit), qs[64] (two low bits), 12 bytes of 6-bit scales, d. */
    private static void q3K(MemorySegment s, long o, float[] y, int k) {
        long hm = o, qs = o + 32, sc = o + 96;
        float dAll = half(s, o + 108);
        int a0 = s.get(I32, sc), a1 = s.get(I32, sc + 4), tmp = s.get(I32, sc + 8);
        final int m2 = 0x0f0f0f0f, m1 = 0x03030303;
        int[] aux = {
            (a0 & m2) | (((tmp) & m1) << 4),
            (a1 & m2) | (((tmp >>> 2) & m1) << 4),
            ((a0 >>> 4) & m2) | (((tmp >>> 4) & m1) << 4),
            ((a1 >>> 4) & m2) | (((tmp >>> 6) & m1) << 4)};
        int is = 0, mask = 1;
        for (int n = 0; n < 256; n += 128) {
            long q = qs + n / 4;
            for (int shift = 0; shift < 8; shift += 2, mask <<= 1) {
                float dl = dAll * (scale6(aux, is++) - 32);
                for (int l = 0; l < 16; l++) {
                    int v = ((u8(s, q + l) >>> shift) & 3) - ((u8(s, hm + l) & mask) != 0 ? 0 : 4);
                    y[k++] = dl * v;
                }
                dl = dAll * (scale6(aux, is++) - 32);
                for (int l = 0; l < 16; l++) {
                    int v = ((u8(s, q + 16 + l) >>> shift) & 3) - ((u8(s, hm + 16 + l) & mask) != 0 ? 0 : 4);
                    y[k++] = dl * v;
                }
            }
        }
    }

    /** Byte i of the unpacked Q3_K scales (as GGML reads them through an int8 pointer). */
    private static int scale6(int[] aux, int i) {
        return (byte) (aux[i >>> 2] >>> (8 * (i & 3)));
    }

    /** The 6-bit scale number j (0..7) of a Q4_K/Q5_K super-block's 12 scale bytes at {@code sc}. */
    public static int scale(MemorySegment s, long sc, int j) {
        return j < 4 ? u8(s, sc + j) & 63 : (u8(s, sc + j + 4) & 0xF) | ((u8(s, sc + j - 4) >>> 6) << 4);
    }

    /** The 6-bit min number j (0..7) of a Q4_K/Q5_K super-block's 12 scale bytes at {@code sc}. */
    public static int min(MemorySegment s, long sc, int j) {
        return j < 4 ? u8(s, sc + j + 4) & 63 : (u8(s, sc + j + 4) >>> 4) | ((u8(s, sc + j) >>> 6) << 4);
    }

    /** Q4_K (144 bytes): d, dmin, 12 bytes of 6-bit scales and mins, qs[128] of 4-bit values. */
    private static void q4K(MemorySegment s, long o, float[] y, int k) {
        float d = half(s, o), dmin = half(s, o + 2);
        long sc = o + 4, q = o + 16;
        for (int j = 0, is = 0; j < 256; j += 64, is += 2, q += 32) {
            float d1 = d * scale(s, sc, is), m1 = dmin * min(s, sc, is);
            float d2 = d * scale(s, sc, is + 1), m2 = dmin * min(s, sc, is + 1);
            for (int l = 0; l < 32; l++) {
                y[k + j + l] = d1 * (u8(s, q + l) & 0xF) - m1;
            }
            for (int l = 0; l < 32; l++) {
                y[k + j + 32 + l] = d2 * (u8(s, q + l) >>> 4) - m2;
            }
        }
    }

    /** Q5_K (176 bytes): d, dmin, 12 scale bytes, qh[32] (fifth bits), qs[128]. */
    private static void q5K(MemorySegment s, long o, float[] y, int k) {
        float d = half(s, o), dmin = half(s, o + 2);
        long sc = o + 4, qh = o + 16, ql = o + 48;
        int u1 = 1, u2 = 2;
        for (int j = 0, is = 0; j < 256; j += 64, is += 2, ql += 32, u1 <<= 2, u2 <<= 2) {
            float d1 = d * scale(s, sc, is), m1 = dmin * min(s, sc, is);
            float d2 = d * scale(s, sc, is + 1), m2 = dmin * min(s, sc, is + 1);
            for (int l = 0; l < 32; l++) {
                y[k + j + l] = d1 * ((u8(s, ql + l) & 0xF) + ((u8(s, qh + l) & u1) != 0 ? 16 : 0)) - m1;
            }
            for (int l = 0; l < 32; l++) {
                y[k + j + 32 + l] = d2 * ((u8(s, ql + l) >>> 4) + ((u8(s, qh + l) & u2) != 0 ? 16 : 0)) - m2;
            }
        }
    }

    /** Q6_K (210 bytes): ql[128] (low 4 bits), qh[64] (high 2 bits), int8 scales[16], d. */
    private static void q6K(MemorySegment s, long o, float[] y, int k) {
        float d = half(s, o + 208);
        long ql = o, qh = o + 128, sc = o + 192;
        for (int n = 0; n < 256; n += 128, ql += 64, qh += 32, sc += 8) {
            for (int l = 0; l < 32; l++) {
                int is = l / 16;
                int h = u8(s, qh + l);
                int q1 = ((u8(s, ql + l) & 0xF) | ((h & 3) << 4)) - 32;
                int q2 = ((u8(s, ql + l + 32) & 0xF) | (((h >>> 2) & 3) << 4)) - 32;
                int q3 = ((u8(s, ql + l) >>> 4) | (((h >>> 4) & 3) << 4)) - 32;
                int q4 = ((u8(s, ql + l + 32) >>> 4) | (((h >>> 6) & 3) << 4)) - 32;
                y[k + n + l] = d * s.get(ValueLayout.JAVA_BYTE, sc + is) * q1;
                y[k + n + l + 32] = d * s.get(ValueLayout.JAVA_BYTE, sc + is + 2) * q2;
                y[k + n + l + 64] = d * s.get(ValueLayout.JAVA_BYTE, sc + is + 4) * q3;
                y[k + n + l + 96] = d * s.get(ValueLayout.JAVA_BYTE, sc + is + 6) * q4;
            }
        }
    }
}
