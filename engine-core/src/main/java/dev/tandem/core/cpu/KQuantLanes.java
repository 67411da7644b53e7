package dev.tandem.core.cpu;

import dev.tandem.core.codec.KQuantScales;
import dev.tandem.core.codec.Q3_KCodec;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The K-quants' lane layouts for the lane kernels ({@link LaneTiles}), repacked by {@link LaneRepack}; a row whose sub-block count is
 * not a multiple of 32 ends with zeros.
 *
 * <p>Q4_K ({@link #q4K}), as {@link Q4_0Lanes} repacks Q4_0, one 32-value sub-block (value {@code d·sc·q - dmin·m})
 * per lane: per 32 sub-blocks (4 super-blocks), one short per sub-block of its 6-bit scale and min
 * ({@code sc | m << 8}, 64 bytes, where Q4_0 has its scales), then their nibbles in Q4_0's positions (512 bytes; a
 * sub-block's 32 nibbles reordered as a Q4_0 block holds them), then the 4 super-blocks' d (16 bytes) and dmin
 * (16 bytes) widened from F16 to floats, which a kernel's lane then picks with one permutation: 608 bytes where the
 * file has 576.
 *
 * <p>Q5_K ({@link #q5K}), one 32-value sub-block per lane as Q4_K, signed: per 32 sub-blocks, the scale and min
 * shorts (64 bytes), then 11 positions of 32 shorts, position t holding the lane's values 3t, 3t + 1 and 3t + 2 as
 * {@code q - 16} (q of 5 bits, -16..15) in 5-bit two's complement at bits 0-4, 5-9 and 11-15 (bit 10 zero, so the
 * third comes down with one arithmetic shift; value 32, past the sub-block, is 0), then the d and dmin floats as Q4_K's:
 * 800 bytes where the file has 704.
 *
 * <p>Q6_K ({@link #q6K}), one 16-value sub-block (value {@code d·sc·(q - 32)}, q of 6 bits) per lane: per 32
 * sub-blocks (2 super-blocks), per pair of sub-blocks (2m, 2m + 1), which share a super-block, an int of their two
 * int8 scales (bytes 0 and 1) and their super-block's F16 d, or 1024·d ({@link #shiftedD}), (bytes 2-3) (64 bytes); then 6
 * positions of 32 shorts, three per run of 8 values (8c .. 8c + 7): position 3c + k holds the 6-bit q of values
 * 8c + 2k and 8c + 2k + 1 in bits 0-5 and 8-13, and bits 2k, 2k + 1 of values 8c + 6 and 8c + 7 in bits 6-7 and 14-15:
 * 448 bytes where the file has 420. Six of a run's values come out with one or two operations each, the last two
 * with ten together ({@link Q6_KLaneKernels#ints1}).
 *
 * <p>Q5_0 and Q5_1 ({@link #q5Legacy}), one 32-value block per lane in Q5_K's positions ({@code q - 16}, three to a
 * short), after the blocks' F16 d where Q5_K has its scale shorts; Q5_1's F16 mins after the positions: 768 and 832
 * bytes where the file has 704 and 768.
 *
 * <p>Q3_K ({@link #q3K}), Q6_K's header: the int8 scale {@code sc - 32} and the F16 d (or 1024·d), then 4 positions of
 * nibbles, position p holding q of values 4p .. 4p + 3 (value {@code q - 4}, its two low bits and its hmask bit as bit
 * 2) in bits 4j .. 4j + 3; 320 bytes where the file has 220, a nibble where the file has 3 bits, for a value cut out
 * with a shift and a mask.
 *
 * <p>Q2_K ({@link #q2K}), one 16-value sub-block (value {@code d·sc·q - dmin·m}, q of 2 bits) per lane: per 32
 * sub-blocks (2 super-blocks), one short per sub-block of its 4-bit scale and min ({@code sc | m << 8}, as Q4_K's),
 * then 2 positions of 32 shorts, position c holding values 8c + i in bits 2i, 2i + 1, then the 2 super-blocks' d and
 * dmin widened to floats: 208 bytes where the file has 168.
 */
final class KQuantLanes {
    static final int Q4_K_GROUP_BYTES = 512 + 64 + 32;
    /** Where a group's d and dmin (floats) start; the scale shorts are at 0 and the values at 64, as Q4_0's. */
    static final int Q4_K_D = 576, Q4_K_DMIN = 592;
    static final int Q5_K_GROUP_BYTES = 64 + 11 * 64 + 32;
    /** Where a Q5_K group's d and dmin (floats) start; position t at {@code 64·(t + 1)}. */
    static final int Q5_K_D = 768, Q5_K_DMIN = 784;
    /** A Q6_K group: its scales and d at 0, position p at {@code 64·(p + 1)}. */
    static final int Q6_K_GROUP_BYTES = 64 + 6 * 64;
    /** A Q5_0 group: 32 blocks' F16 d (64 bytes), then Q5_K's 11 positions; Q5_1's adds its 32 F16 mins at byte 768. */
    static final int Q5_0_GROUP_BYTES = 64 + 11 * 64, Q5_1_GROUP_BYTES = Q5_0_GROUP_BYTES + 64, Q5_1_MINS = Q5_0_GROUP_BYTES;
    /** A Q3_K group: Q6_K's header, then 4 positions of nibbles. */
    static final int Q3_K_GROUP_BYTES = 64 + 4 * 64;
    /** A Q2_K group: its scale and min shorts at 0, position c at {@code 64·(c + 1)}, the d and dmin floats at 192 and 200. */
    static final int Q2_K_GROUP_BYTES = 64 + 2 * 64 + 16;
    static final int Q2_K_D = 192, Q2_K_DMIN = 200;
    private static final int Q2_K_BLOCK = 84, Q3_K_BLOCK = 110, Q4_K_BLOCK = 144, Q5_K_BLOCK = 176, Q6_K_BLOCK = 210;

    private KQuantLanes() {}

    /** The repacked copy, made over {@code pool}'s threads, of {@code rows} Q4_K rows of n values; freed by the GC once unreachable. */
    static MemorySegment q4K(MemorySegment q, int rows, int n, WorkerPool pool) {
        return LaneRepack.repack(q, rows, n / 256, Q4_K_BLOCK, 4, Q4_K_GROUP_BYTES, pool, (from, view, count, to) -> {
            int[] v = new int[32]; // per call: groups are repacked on several threads
            for (int sb = 0; sb < count; sb++) {
                int o = Q4_K_BLOCK * sb;
                scalesAndMins(view, o, sb, Q4_K_D, to);
                for (int s = 0; s < 8; s++) {
                    int k = 8 * sb + s; // the lane
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

    /** The repacked copy, made over {@code pool}'s threads, of {@code rows} Q5_K rows of n values; freed by the GC once unreachable. */
    static MemorySegment q5K(MemorySegment q, int rows, int n, WorkerPool pool) {
        return LaneRepack.repack(q, rows, n / 256, Q5_K_BLOCK, 4, Q5_K_GROUP_BYTES, pool, (from, view, count, to) -> {
            int[] values = fiveBitScratch();
            for (int sb = 0; sb < count; sb++) {
                int o = Q5_K_BLOCK * sb;
                scalesAndMins(view, o, sb, Q5_K_D, to);
                for (int s = 0; s < 8; s++) {
                    for (int l = 0; l < 32; l++) { // value l of sub-block s: its nibble (low for even s) and bit s of qh[l]
                        values[l] = (from[o + 48 + 32 * (s / 2) + l] >> (4 * (s % 2))) & 0xF | ((from[o + 16 + l] >> s) & 1) << 4;
                    }
                    fiveBitLane(values, to, 8 * sb + s);
                }
            }
        });
    }

    /** The repacked copy, made over {@code pool}'s threads, of {@code rows} Q2_K rows of n values; freed by the GC once unreachable. */
    static MemorySegment q2K(MemorySegment q, int rows, int n, WorkerPool pool) {
        return LaneRepack.repack(q, rows, n / 256, Q2_K_BLOCK, 2, Q2_K_GROUP_BYTES, pool, (from, view, count, to) -> {
            for (int sb = 0; sb < count; sb++) {
                int o = Q2_K_BLOCK * sb;
                widened(view, o + 80, to, Q2_K_D / 2 + 2 * sb); // d
                widened(view, o + 82, to, Q2_K_DMIN / 2 + 2 * sb); // dmin
                for (int s = 0; s < 16; s++) { // the file's byte: scale in the low nibble, min in the high one
                    to[16 * sb + s] = (short) (from[o + s] & 0xF | (from[o + s] & 0xF0) << 4);
                }
                for (int s = 0; s < 16; s++) { // lane s: values e = 16s + i, ggml's 128·half + 32·j + l (bit pair j of qs byte l)
                    int half = s >> 3, j = (s >> 1) & 3, l0 = 16 * (s & 1);
                    for (int c = 0; c < 2; c++) { // position c: values 8c + i in bits 2i, 2i + 1, the short written once
                        int packed = 0;
                        for (int i = 0; i < 8; i++) {
                            packed |= ((from[o + 16 + 32 * half + l0 + 8 * c + i] >> 2 * j) & 3) << 2 * i;
                        }
                        to[32 * (c + 1) + 16 * sb + s] = (short) packed;
                    }
                }
            }
        });
    }

    /** The repacked copy, made over {@code pool}'s threads, of {@code rows} Q3_K rows of n values; freed by the GC once unreachable. */
    static MemorySegment q3K(MemorySegment q, int rows, int n, boolean dShifted, WorkerPool pool) {
        return LaneRepack.repack(q, rows, n / 256, Q3_K_BLOCK, 2, Q3_K_GROUP_BYTES, pool, (from, view, count, to) -> {
            int[] scales = new int[16]; // per call: groups are repacked on several threads
            for (int sb = 0; sb < count; sb++) {
                int o = Q3_K_BLOCK * sb;
                Q3_KCodec.scales(view, o + 96, scales);
                short d = shiftedD(view.get(BlockLoads.I16, o + 108), dShifted);
                for (int s = 0; s < 16; s++) {
                    int8ScaleAndD(to, 16 * sb + s, scales[s] - 32, d);
                }
                for (int s = 0; s < 16; s++) { // lane s: values e = 16s + i, ggml's 128·half + 32·j + l (bit pair j of qs byte l, hmask bit 4·half + j)
                    int half = s >> 3, j = (s >> 1) & 3, l0 = 16 * (s & 1);
                    for (int p = 0; p < 4; p++) { // position p: values 4p + i in bits 4i .. 4i + 2, the short written once
                        int packed = 0;
                        for (int i = 0; i < 4; i++) {
                            int l = l0 + 4 * p + i;
                            packed |= ((from[o + 32 + 32 * half + l] >> 2 * j) & 3 | ((from[o + l] >> (4 * half + j)) & 1) << 2) << 4 * i;
                        }
                        to[32 * (p + 1) + 16 * sb + s] = (short) packed;
                    }
                }
            }
        });
    }

    /**
     * The repacked copy, made over {@code pool}'s threads, of {@code rows} Q5_0 rows (or, {@code mins}, Q5_1 rows) of n
     * values; freed by the GC once unreachable.
     */
    static MemorySegment q5Legacy(MemorySegment q, int rows, int n, WorkerPool pool, boolean mins) {
        int blockBytes = mins ? 24 : 22, qh = mins ? 4 : 2;
        return LaneRepack.repack(q, rows, n / 32, blockBytes, 32, mins ? Q5_1_GROUP_BYTES : Q5_0_GROUP_BYTES, pool, (from, view, count, to) -> {
            int[] values = fiveBitScratch();
            for (int k = 0; k < count; k++) { // block k: lane k
                int o = blockBytes * k, high = view.get(BlockLoads.I32, o + qh);
                to[k] = view.get(BlockLoads.I16, o); // d
                if (mins) {
                    to[Q5_1_MINS / 2 + k] = view.get(BlockLoads.I16, o + 2); // m
                }
                for (int l = 0; l < 32; l++) { // value l: the low (l < 16) or high nibble of byte l % 16, and bit l of qh
                    values[l] = (from[o + qh + 4 + (l & 15)] >> (l < 16 ? 0 : 4)) & 0xF | ((high >>> l) & 1) << 4;
                }
                fiveBitLane(values, to, k);
            }
        });
    }

    /** A lane's 32 five-bit values q, and a 33rd (16: value 0) for the last position's empty third field; per call (groups are repacked on several threads). */
    private static int[] fiveBitScratch() {
        int[] values = new int[33];
        values[32] = 16;
        return values;
    }

    /**
     * Lane k's 32 values q (0..31) into Q5_K's 11 positions, {@code q - 16} in 5-bit two's complement at bits 0-4, 5-9
     * and 11-15 of a short: each short written once, where or'ing value by value into its position took a division, a
     * remainder and a read of the short per value (6.7 ns a value, page faults included).
     */
    private static void fiveBitLane(int[] values, short[] to, int k) {
        for (int t = 0; t < 11; t++) {
            to[32 * (t + 1) + k] = (short) ((values[3 * t] - 16) & 0x1F | ((values[3 * t + 1] - 16) & 0x1F) << 5
                    | ((values[3 * t + 2] - 16) & 0x1F) << 11);
        }
    }

    /** The F16 at byte {@code at} of view widened to a float, its bits as two shorts (low first) at {@code to[short]}. */
    private static void widened(MemorySegment view, int at, short[] to, int shortAt) {
        int bits = Float.floatToRawIntBits(Float.float16ToFloat(view.get(BlockLoads.I16, at)));
        to[shortAt] = (short) bits;
        to[shortAt + 1] = (short) (bits >>> 16);
    }

    /**
     * Whether every super-block's F16 d of the Q6_K or Q3_K tensor q ({@code rows} rows of n values) survives
     * {@link #shiftedD}: at most 63.97 in magnitude, so that 1024·d is still a finite F16. Rows split over
     * {@code pool}'s threads, as the repacking after it: this is the first read of a mapped tensor, so it takes the page
     * faults the repacking would otherwise take on both threads (the whole Q6_K file's d, first read in a fresh JVM:
     * 470-490 ms on two threads against 540-660 ms on one; 60-70 ms once mapped).
     */
    static boolean dShiftable(MemorySegment q, int rows, int n, boolean q3K, WorkerPool pool) {
        int blockBytes = q3K ? Q3_K_BLOCK : Q6_K_BLOCK, dAt = blockBytes - 2, blocks = n / 256;
        AtomicBoolean tooLarge = new AtomicBoolean();
        pool.parallelFor(rows, 1, (r0, r1) -> {
            for (int row = r0; row < r1 && !tooLarge.get(); row++) {
                for (long b = (long) row * blocks; b < (long) (row + 1) * blocks; b++) {
                    if ((q.get(BlockLoads.I16, b * blockBytes + dAt) & 0x7FFF) > 0x53FF) {
                        tooLarge.set(true);
                    }
                }
            }
        });
        return !tooLarge.get();
    }

    /**
     * The F16 d a Q6_K or Q3_K lane header holds: with {@code shifted}, 1024·d, exact (a power of two; below 2^-14 an
     * F16 is subnormal, and 1024 times its 10-bit mantissa's 2^-24 is a normal F16). The float steps widen a header's
     * F16 by moving its bits into a float's, which leaves a subnormal F16 (most Q6_K d: 2.5e-5 for weights of 0.1)
     * a subnormal float; a multiplication with a subnormal operand is slow on the AMD EPYC (Q6_K's one-row matmul
     * 2.6-3x the time), and 1024·d is normal for every d the file can hold but the largest.
     */
    static short shiftedD(short d, boolean shifted) {
        return shifted ? Float.floatToFloat16(Float.float16ToFloat(d) * 1024f) : d;
    }

    /**
     * Q6_K's and Q3_K's header of lane k: per pair of lanes an int of their two int8 scales (bytes 0 and 1) and their
     * super-block's F16 d, or 1024·d ({@link #shiftedD}) (bytes 2-3).
     */
    private static void int8ScaleAndD(short[] to, int k, int scale, short d) {
        to[k & ~1] |= (short) ((scale & 0xFF) << 8 * (k & 1));
        to[k | 1] = d;
    }

    /**
     * Q4_K's and Q5_K's shared part of super-block sb (file bytes at o): its 8 lanes' {@code sc | m << 8} shorts, and its
     * d and dmin widened to floats (each float's bits as two shorts, low first) at byte {@code dAt} and 16 bytes on.
     */
    private static void scalesAndMins(MemorySegment view, int o, int sb, int dAt, short[] to) {
        widened(view, o, to, dAt / 2 + 2 * sb); // d
        widened(view, o + 2, to, (dAt + 16) / 2 + 2 * sb); // dmin
        for (int s = 0; s < 8; s++) {
            to[8 * sb + s] = (short) (KQuantScales.scale(view, o + 4, s) | KQuantScales.min(view, o + 4, s) << 8);
        }
    }

    /**
     * The repacked copy, made over {@code pool}'s threads, of {@code rows} Q6_K rows of n values; freed by the GC once
     * unreachable. The file's bytes are read in its own order (per half of a super-block, byte l of the two nibble runs
     * and of the high-bit run hold four values) and each value is or'ed into its lane's shorts, where a loop in the
     * layout's order took a division and three remainders per value (5.9 against 4.9 ns a value, page faults included).
     */
    static MemorySegment q6K(MemorySegment q, int rows, int n, boolean dShifted, WorkerPool pool) {
        return LaneRepack.repack(q, rows, n / 256, Q6_K_BLOCK, 2, Q6_K_GROUP_BYTES, pool, (from, view, count, to) -> {
            for (int sb = 0; sb < count; sb++) {
                int o = Q6_K_BLOCK * sb;
                short d = shiftedD(view.get(BlockLoads.I16, o + 208), dShifted);
                for (int s = 0; s < 16; s++) {
                    int8ScaleAndD(to, 16 * sb + s, from[o + 192 + s], d);
                }
                for (int half = 0; half < 2; half++) {
                    for (int l = 0; l < 32; l++) {
                        int ql0 = from[o + 64 * half + l], ql1 = from[o + 64 * half + 32 + l], qh = from[o + 128 + 32 * half + l];
                        for (int k4 = 0; k4 < 4; k4++) { // ggml's order: value e = 128·half + 32·k4 + l, in lane e / 16 at i = e % 16
                            int low = ((k4 % 2 == 0 ? ql0 : ql1) >> (k4 < 2 ? 0 : 4)) & 0xF, high = (qh >> 2 * k4) & 3;
                            int e = 128 * half + 32 * k4 + l, lane = 16 * sb + (e >> 4), i = e & 15;
                            int q6 = low | high << 4, c = i >> 3, j = i & 7;
                            if (j < 6) { // position 3c + j / 2: bits 0-5 or 8-13
                                to[32 * (3 * c + (j >> 1) + 1) + lane] |= (short) (q6 << 8 * (j & 1));
                            } else { // bits 2k, 2k + 1 of values 8c + 6 and 8c + 7 in bits 6-7 and 14-15 of position 3c + k
                                for (int k = 0; k < 3; k++) {
                                    to[32 * (3 * c + k + 1) + lane] |= (short) (((q6 >> 2 * k) & 3) << (j == 6 ? 6 : 14));
                                }
                            }
                        }
                    }
                }
            }
        });
    }
}
