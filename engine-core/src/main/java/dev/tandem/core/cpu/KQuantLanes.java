package dev.tandem.core.cpu;

import dev.tandem.core.codec.KQuantScales;
import java.lang.foreign.MemorySegment;

/**
 * The K-quants' lane layouts for {@link Q8LaneKernels}, repacked by {@link LaneRepack}; a row whose sub-block count is
 * not a multiple of 32 ends with zeros.
 *
 * <p>Q4_K ({@link #q4K}), as {@link Q4_0Lanes} repacks Q4_0, one 32-value sub-block (value {@code d·sc·q - dmin·m})
 * per lane: per 32 sub-blocks (4 super-blocks), one short per sub-block of its 6-bit scale and min
 * ({@code sc | m << 8}, 64 bytes, where Q4_0 has its scales), then their nibbles in Q4_0's positions (512 bytes; a
 * sub-block's 32 nibbles reordered as a Q4_0 block holds them), then the 4 super-blocks' F16 d (8 bytes) and dmin
 * (8 bytes): 592 bytes where the file has 576.
 */
final class KQuantLanes {
    static final int Q4_K_GROUP_BYTES = 512 + 64 + 16;
    /** Where a group's F16 d and dmin start; the scale shorts are at 0 and the values at 64, as Q4_0's. */
    static final int Q4_K_D = 576, Q4_K_DMIN = 584;
    private static final int Q4_K_BLOCK = 144;

    private KQuantLanes() {}

    /** The repacked copy of {@code rows} Q4_K rows of n values; freed by the GC once unreachable. */
    static MemorySegment q4K(MemorySegment q, int rows, int n) {
        int[] v = new int[32];
        return LaneRepack.repack(q, rows, n / 256, Q4_K_BLOCK, 4, Q4_K_GROUP_BYTES, (from, view, count, to) -> {
            for (int sb = 0; sb < count; sb++) {
                int o = Q4_K_BLOCK * sb;
                to[Q4_K_D / 2 + sb] = view.get(BlockLoads.I16, o);
                to[Q4_K_DMIN / 2 + sb] = view.get(BlockLoads.I16, o + 2);
                for (int s = 0; s < 8; s++) {
                    int k = 8 * sb + s; // the lane
                    to[k] = (short) (KQuantScales.scale(view, o + 4, s) | KQuantScales.min(view, o + 4, s) << 8);
                    for (int l = 0; l < 32; l++) { // sub-block s: the low (even s) or high nibbles of 32 bytes
                        v[l] = (from[o + 16 + 32 * (s / 2) + l] >> (4 * (s % 2))) & 0xF;
                    }
                    for (int t = 0; t < 8; t++) { // as a Q4_0 block's bytes 2t and 2t + 1 hold them: nibble i is value VALUE[4t + i]
                        int packed = 0;
                        for (int i = 0; i < 4; i++) {
                            packed |= v[Q8Activations.VALUE[4 * t + i]] << 4 * i;
                        }
                        to[32 * (t + 1) + k] = (short) packed;
                    }
                }
            }
        });
    }
}
