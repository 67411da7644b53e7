package dev.tandem.core.cpu;

import dev.tandem.core.codec.KQuantScales;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * Q4_K weights repacked as {@link Q4_0Lanes} repacks Q4_0, one 32-value group (a sub-block: value
 * {@code d·sc·q - dmin·m}) per lane: per 32 sub-blocks (4 super-blocks), one short per sub-block of its 6-bit scale
 * and min ({@code sc | m << 8}, 64 bytes, where Q4_0 has its scales), then their nibbles in Q4_0's positions (512
 * bytes; a sub-block's 32 nibbles reordered as a Q4_0 block holds them), then the 4 super-blocks' F16 d (8 bytes)
 * and dmin (8 bytes): 592 bytes where the file has 576. A row whose sub-block count is not a multiple of 32 ends with zeros.
 */
final class Q4_KLanes {
    static final int GROUP_BYTES = 512 + 64 + 16;
    /** Where a group's d and dmin start (its scale-and-min shorts at 0, as Q4_0's scales; its nibbles at 64, as Q4_0's). */
    static final int D = 576, DMIN = 584;
    private static final int BLOCK_BYTES = 144;
    private static final ValueLayout.OfShort SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private Q4_KLanes() {}

    /** The repacked copy of {@code rows} Q4_K rows of n values; freed by the GC once unreachable. */
    static MemorySegment repack(MemorySegment q, int rows, int n) {
        int superBlocks = n / 256, groups = Q4_0Lanes.groups(n);
        MemorySegment out = Arena.ofAuto().allocate((long) rows * groups * GROUP_BYTES, 64);
        byte[] from = new byte[4 * BLOCK_BYTES];
        MemorySegment fromSeg = MemorySegment.ofArray(from);
        short[] to = new short[GROUP_BYTES / 2];
        int[] v = new int[32];
        for (int row = 0; row < rows; row++) {
            for (int g = 0; g < groups; g++) {
                int count = Math.min(4, superBlocks - 4 * g); // a row's last group may be short
                MemorySegment.copy(q, ValueLayout.JAVA_BYTE, ((long) row * superBlocks + 4L * g) * BLOCK_BYTES, from, 0, count * BLOCK_BYTES);
                Arrays.fill(to, (short) 0);
                for (int sb = 0; sb < count; sb++) {
                    int o = BLOCK_BYTES * sb;
                    to[D / 2 + sb] = fromSeg.get(SHORT, o);
                    to[DMIN / 2 + sb] = fromSeg.get(SHORT, o + 2);
                    for (int s = 0; s < 8; s++) {
                        int k = 8 * sb + s; // the lane
                        to[k] = (short) (KQuantScales.scale(fromSeg, o + 4, s) | KQuantScales.min(fromSeg, o + 4, s) << 8);
                        for (int l = 0; l < 32; l++) { // sub-block s: the low (even s) or high nibbles of 32 bytes
                            v[l] = (from[o + 16 + 32 * (s / 2) + l] >> (4 * (s % 2))) & 0xF;
                        }
                        for (int t = 0; t < 8; t++) { // as a Q4_0 block's bytes 2t and 2t + 1: values 2t, 2t + 16, 2t + 1, 2t + 17
                            to[32 * (t + 1) + k] = (short) (v[2 * t] | v[2 * t + 16] << 4 | v[2 * t + 1] << 8 | v[2 * t + 17] << 12);
                        }
                    }
                }
                MemorySegment.copy(to, 0, out, SHORT, ((long) row * groups + g) * GROUP_BYTES, GROUP_BYTES / 2);
            }
        }
        return out;
    }
}
