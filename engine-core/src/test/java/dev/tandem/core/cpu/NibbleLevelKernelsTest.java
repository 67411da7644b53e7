package dev.tandem.core.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.tandem.core.DType;
import dev.tandem.core.RandomBlocks;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Q4_0 through the table of {@code q - 8} gives bit for bit what the integer-decoding kernels give, for 1 to 9 rows:
 * the table alone, and the mix Q4_0 runs (the table's one-row tile, the integers' two- and four-row tiles); and
 * Q4_1's mix (the table of {@code q} for the one-row tile, its mins added as the integer kernels add them).
 */
class NibbleLevelKernelsTest {
    @Test
    void q4_0ThroughTheTableEqualsTheIntegerKernelsBitForBit() {
        assertThroughTheTable(DType.Q4_0, 3, NibbleLevelKernels.q4_0());
    }

    @Test
    void q4_1ThroughTheTableEqualsTheIntegerKernelsBitForBit() {
        assertThroughTheTable(DType.Q4_1, 5, null);
    }

    /** For 1 to 9 rows, the mix through the level table (and the table's own kernels, where given) against the integers. */
    private static void assertThroughTheTable(DType type, long seed, NibbleLevelKernels alone) {
        assumeTrue(NibbleLevelKernels.TABLE_IN_VECTOR, "the level table needs 512-bit vectors (AVX-512); this machine has "
                + VectorMath.L + " float lanes");
        int n = 320, d = 37; // an odd d: the last feature goes alone
        SplittableRandom rnd = new SplittableRandom(seed);
        byte[] bytes = RandomBlocks.of(type, d * n / 32, rnd);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment w = arena.allocate(bytes.length, 64);
            MemorySegment.copy(bytes, 0, w, ValueLayout.JAVA_BYTE, 0, bytes.length);
            for (int rows = 1; rows <= 9; rows++) {
                float[] x = new float[rows * n];
                for (int i = 0; i < x.length; i++) {
                    x[i] = (float) rnd.nextGaussian();
                }
                float[] table = new float[rows * d], mixed = new float[rows * d], integers = new float[rows * d];
                if (alone != null) {
                    alone.range(table, x, rows, w, n, d, 0, d);
                }
                new FourBitBlockKernels(type, true).range(mixed, x, rows, w, n, d, 0, d);
                new FourBitBlockKernels(type, false).range(integers, x, rows, w, n, d, 0, d);
                for (int i = 0; i < mixed.length; i++) {
                    assertEquals(Float.floatToRawIntBits(integers[i]), Float.floatToRawIntBits(mixed[i]),
                            type + ", " + rows + " rows, output " + i + ": " + integers[i] + " vs " + mixed[i] + " (mixed)");
                    if (alone != null) {
                        assertEquals(Float.floatToRawIntBits(integers[i]), Float.floatToRawIntBits(table[i]),
                                type + ", " + rows + " rows, output " + i + ": " + integers[i] + " vs " + table[i]);
                    }
                }
            }
        }
    }
}
