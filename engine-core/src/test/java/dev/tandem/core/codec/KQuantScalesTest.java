package dev.tandem.core.codec;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class KQuantScalesTest {
    /** The word-at-a-time unpacking gives every scale and min the byte-wise lookup gives, for any 12 bytes. */
    @Test
    void packedScalesAndMinsEqualTheByteWiseOnes() {
        SplittableRandom rnd = new SplittableRandom(3);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment s = arena.allocate(13);
            for (int trial = 0; trial < 2000; trial++) {
                for (int b = 0; b < 13; b++) {
                    s.set(ValueLayout.JAVA_BYTE, b, (byte) rnd.nextInt(256));
                }
                long sc = KQuantScales.packedScales(s, 1), mn = KQuantScales.packedMins(s, 1);
                for (int j = 0; j < 8; j++) {
                    assertEquals(KQuantScales.scale(s, 1, j), (int) (sc >>> (8 * j)) & 0xFF, "scale " + j);
                    assertEquals(KQuantScales.min(s, 1, j), (int) (mn >>> (8 * j)) & 0xFF, "min " + j);
                }
            }
        }
    }
}
