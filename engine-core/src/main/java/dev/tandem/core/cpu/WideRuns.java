package dev.tandem.core.cpu;

import java.util.Arrays;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * Cutting 64 values at a time out of K-quant bit fields with 512-bit vectors ({@code L == 16}): in Q3_K, Q5_K and Q6_K
 * two runs of 32 values have their bits in the same 32 bytes at different positions, so those bytes go in both
 * 256-bit halves of one vector ({@link #FIRST_TWICE}, {@link #SECOND_TWICE}) and are shifted or rotated by the two
 * runs' amounts per half ({@link #halves}). Per super-block that is 4 stores instead of 8 and no shift count computed
 * per run (Q6_K's unpacking 3x faster, one thread, 8 MiB, AMD Zen 5). Each type writes its cut out in its unpacking,
 * not in helper methods or a loop over the halves: those were not inlined, or kept the per-half choices, and ran 3x
 * slower.
 */
final class WideRuns {
    private WideRuns() {}

    /** 64 bytes as 16 int lanes. */
    static final VectorSpecies<Integer> WIDE = IntVector.SPECIES_512;
    /** Words 0..7 in both halves, and words 8..15 in both halves, of a 512-bit vector. */
    static final VectorShuffle<Integer> FIRST_TWICE = VectorShuffle.fromValues(WIDE, 0, 1, 2, 3, 4, 5, 6, 7, 0, 1, 2, 3, 4, 5, 6, 7);
    static final VectorShuffle<Integer> SECOND_TWICE = VectorShuffle.fromValues(WIDE, 8, 9, 10, 11, 12, 13, 14, 15, 8, 9, 10, 11, 12, 13, 14, 15);

    /** A 512-bit vector of {@code first} in its low 256-bit half's lanes and {@code second} in its high half's. */
    static IntVector halves(int first, int second) {
        int[] v = new int[16];
        Arrays.fill(v, 0, 8, first);
        Arrays.fill(v, 8, 16, second);
        return IntVector.fromArray(WIDE, v, 0);
    }
}
