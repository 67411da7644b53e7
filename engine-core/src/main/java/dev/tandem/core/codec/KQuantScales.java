package dev.tandem.core.codec;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/** The 12 bytes of 6-bit scales and mins that Q4_K and Q5_K super-blocks share (GGML's {@code get_scale_min_k4}). */
public final class KQuantScales {
    private KQuantScales() {}

    /** The 6-bit scale number j (0..7) of the 12 scale bytes at {@code sc}. */
    public static int scale(MemorySegment s, long sc, int j) {
        return j < 4 ? u8(s, sc + j) & 63 : (u8(s, sc + j + 4) & 0xF) | ((u8(s, sc + j - 4) >>> 6) << 4);
    }

    /** The 6-bit min number j (0..7) of the 12 scale bytes at {@code sc}. */
    public static int min(MemorySegment s, long sc, int j) {
        return j < 4 ? u8(s, sc + j + 4) & 63 : (u8(s, sc + j + 4) >>> 4) | ((u8(s, sc + j) >>> 6) << 4);
    }

    /**
     * All eight 6-bit scales of the 12 scale bytes at {@code sc}, scale j in byte j of the result: the same
     * values as {@link #scale}, unpacked with a few word operations instead of eight byte lookups (llama.cpp's
     * {@code kmask} trick), for the kernels that need every scale of a super-block.
     */
    public static long packedScales(MemorySegment s, long sc) {
        int u0 = s.get(U32, sc), u2 = s.get(U32, sc + 8);
        long lo = u0 & 0x3f3f3f3f, hi = (u2 & 0x0f0f0f0f) | (((u0 >>> 6) & 0x03030303) << 4);
        return lo | hi << 32;
    }

    /** All eight 6-bit mins of the 12 scale bytes at {@code sc}, min j in byte j (the values of {@link #min}). */
    public static long packedMins(MemorySegment s, long sc) {
        int u1 = s.get(U32, sc + 4), u2 = s.get(U32, sc + 8);
        long lo = u1 & 0x3f3f3f3f, hi = ((u2 >>> 4) & 0x0f0f0f0f) | (((u1 >>> 6) & 0x03030303) << 4);
        return lo | hi << 32;
    }

    private static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private static int u8(MemorySegment s, long o) {
        return s.get(ValueLayout.JAVA_BYTE, o) & 0xFF;
    }
}
