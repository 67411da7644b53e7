package dev.tandem.core.cpu;

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

    /**
     * {@code rows} rows of {@code blocks} file blocks of {@code blockBytes}, {@code perGroup} to a group of {@code groupBytes};
     * the rows split over {@code pool}'s threads (a model's first matmuls repack it: 0.7 GB of Q5_K took 6 s on one thread,
     * about half of it page faults on the new memory, which the threads take in parallel too).
     */
    static MemorySegment repack(MemorySegment q, int rows, int blocks, int blockBytes, int perGroup, int groupBytes, WorkerPool pool,
                                Group layout) {
        int groups = (blocks + perGroup - 1) / perGroup;
        MemorySegment out = LargePages.allocate((long) rows * groups * groupBytes + TAIL);
        pool.parallelFor(rows, 1, (r0, r1) -> {
            byte[] from = new byte[perGroup * blockBytes];
            MemorySegment fromView = MemorySegment.ofArray(from);
            short[] to = new short[groupBytes / 2];
            for (int row = r0; row < r1; row++) {
                for (int g = 0; g < groups; g++) {
                    int count = Math.min(perGroup, blocks - g * perGroup);
                    MemorySegment.copy(q, ValueLayout.JAVA_BYTE, ((long) row * blocks + (long) g * perGroup) * blockBytes, from, 0, count * blockBytes);
                    Arrays.fill(to, (short) 0);
                    layout.write(from, fromView, count, to);
                    MemorySegment.copy(to, 0, out, BlockLoads.I16, ((long) row * groups + g) * groupBytes, groupBytes / 2);
                }
            }
        });
        return out;
    }
}
