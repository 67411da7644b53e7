package dev.tandem.core.cpu;

import java.lang.foreign.MemorySegment;

/**
 * Q4_0 weights repacked so that one vector lane holds one block: a weight row is cut into groups of 32 blocks
 * (1024 values), and a group is stored as its 32 F16 scales (64 bytes), then 8 positions t of 32 shorts (64 bytes
 * each), the short of block k at position t being bytes {@code 2t} and {@code 2t + 1} of that block's nibbles. So
 * the short's four nibbles are the block's values {@code 2t}, {@code 2t + 16}, {@code 2t + 1} and {@code 2t + 17}
 * ({@link Q8Activations} orders x the same way), and a vector of shorts multiplies 32 blocks' values at once with
 * no sum across lanes: each lane's integer sum is one block's. A group takes 576 bytes, as its 32 blocks do in
 * the file. A row whose block count is not a multiple of 32 ends with zero blocks (scale 0). Q4_1 ({@link #repackQ4_1},
 * value {@code d·q + m}) is laid out as Q4_0, its 32 F16 mins after the nibbles: 640 bytes, as in the file.
 */
final class Q4_0Lanes {
    static final int GROUP_BLOCKS = LaneTiles.GROUP_LANES;
    static final int GROUP_VALUES = 32 * GROUP_BLOCKS;
    static final int GROUP_BYTES = 2 * GROUP_BLOCKS + 8 * 2 * GROUP_BLOCKS;
    /** A Q4_1 group: Q4_0's, then the 32 blocks' F16 mins. */
    static final int Q4_1_GROUP_BYTES = GROUP_BYTES + 2 * GROUP_BLOCKS;
    /** Where a Q4_1 group's mins start. */
    static final int Q4_1_MINS = GROUP_BYTES;
    private static final int BLOCK_BYTES = 18, Q4_1_BLOCK_BYTES = 20;

    private Q4_0Lanes() {}

    /** The repacked copy, made over {@code pool}'s threads, of {@code rows} Q4_1 rows of n values; freed by the GC once unreachable. */
    static MemorySegment repackQ4_1(MemorySegment q, int rows, int n, WorkerPool pool) {
        return LaneRepack.repack(q, rows, n / 32, Q4_1_BLOCK_BYTES, GROUP_BLOCKS, Q4_1_GROUP_BYTES, pool, (from, view, count, to) -> {
            for (int k = 0; k < count; k++) {
                int o = Q4_1_BLOCK_BYTES * k;
                to[k] = view.get(BlockLoads.I16, o); // d
                for (int t = 1; t <= 8; t++) { // bytes 2t - 2 and 2t - 1 of the nibbles
                    to[GROUP_BLOCKS * t + k] = view.get(BlockLoads.I16, o + 2 + 2 * t);
                }
                to[Q4_1_MINS / 2 + k] = view.get(BlockLoads.I16, o + 2); // m
            }
        });
    }

    /** Groups per weight row of n values. */
    static int groups(int n) {
        return (n / 32 + GROUP_BLOCKS - 1) / GROUP_BLOCKS;
    }

    /** The repacked copy, made over {@code pool}'s threads, of {@code rows} Q4_0 rows of n values; freed by the GC once unreachable. */
    static MemorySegment repack(MemorySegment q, int rows, int n, WorkerPool pool) {
        return LaneRepack.repack(q, rows, n / 32, BLOCK_BYTES, GROUP_BLOCKS, GROUP_BYTES, pool, (from, view, count, to) -> {
            for (int t = 0; t < 9; t++) { // position 0: the scales; position t: bytes 2t - 2 and 2t - 1 of the nibbles
                for (int k = 0; k < count; k++) {
                    to[GROUP_BLOCKS * t + k] = view.get(BlockLoads.I16, BLOCK_BYTES * k + 2 * t);
                }
            }
        });
    }
}
