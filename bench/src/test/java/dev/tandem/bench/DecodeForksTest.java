package dev.tandem.bench;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class DecodeForksTest {
    @Test
    void aForkFarSlowerThanTheOthersIsCalledBimodal() {
        String t = DecodeForks.table(List.of(21000.0, 3000.0, 22000.0), "1");
        assertTrue(t.contains("| 2 | 3000 |"), t);
        assertTrue(t.contains("max/min = 7.33") && t.contains("BIMODAL"), t);
    }

    @Test
    void closeForksAreNot() {
        String t = DecodeForks.table(List.of(21000.0, 20000.0, 22000.0), "1");
        assertTrue(t.contains("max/min = 1.10"), t);
        assertFalse(t.contains("BIMODAL"), t);
    }
}
