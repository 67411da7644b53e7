package dev.tandem.core.cpu;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;

/**
 * The loop every lane layout's repacking shares ({@link Q4_0Lanes}, {@link KQuantLanes}): a weight
 * row's file blocks are cut into groups, each group's blocks (contiguous in the file) copied out, rewritten into the
 * layout's shorts by the layout, and copied into the new segment; a row's last group may hold fewer blocks, the rest
 * of it zeros.
 */
final class LaneRepack {
    /** Writes a group's shorts ({@code to}, zeroed) from its first {@code count} file blocks ({@code from}). */
    interface Group {
        void write(byte[] from, MemorySegment fromView, int count, short[] to);
    }

    /** Bytes after the last group, zero: a kernel's vector load of a group's last few values may reach past it. */
    static final int TAIL = 64;

    private LaneRepack() {}

    /** {@code rows} rows of {@code blocks} file blocks of {@code blockBytes}, {@code perGroup} to a group of {@code groupBytes}. */
    static MemorySegment repack(MemorySegment q, int rows, int blocks, int blockBytes, int perGroup, int groupBytes, Group layout) {
        int groups = (blocks + perGroup - 1) / perGroup;
        MemorySegment out = Arena.ofAuto().allocate((long) rows * groups * groupBytes + TAIL, 64);
        byte[] from = new byte[perGroup * blockBytes];
        MemorySegment fromView = MemorySegment.ofArray(from);
        short[] to = new short[groupBytes / 2];
        for (int row = 0; row < rows; row++) {
            for (int g = 0; g < groups; g++) {
                int count = Math.min(perGroup, blocks - g * perGroup);
                MemorySegment.copy(q, ValueLayout.JAVA_BYTE, ((long) row * blocks + (long) g * perGroup) * blockBytes, from, 0, count * blockBytes);
                Arrays.fill(to, (short) 0);
                layout.write(from, fromView, count, to);
                MemorySegment.copy(to, 0, out, BlockLoads.I16, ((long) row * groups + g) * groupBytes, groupBytes / 2);
            }
        }
        return out;
    }
}
