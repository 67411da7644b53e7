package dev.tandem.core.codec;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

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

    private static int u8(MemorySegment s, long o) {
        return s.get(ValueLayout.JAVA_BYTE, o) & 0xFF;
    }
}
