package dev.tandem.core.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.junit.jupiter.api.Test;

/** The repacked copies' memory: the size asked for, zeroed, aligned, writable; mapped by this JVM on Linux. */
class LargePagesTest {
    @Test
    void memoryIsZeroedAlignedAndWritable() {
        long bytes = 5L * 1024 * 1024 + 64; // more than two huge pages, not a whole number of them
        MemorySegment m = LargePages.allocate(bytes);
        assertEquals(bytes, m.byteSize());
        assertEquals(0, m.address() % 64, "64-byte aligned");
        for (long at = 0; at < bytes; at += 4093) {
            assertEquals(0, m.get(ValueLayout.JAVA_BYTE, at), "zero at " + at);
        }
        m.set(ValueLayout.JAVA_LONG_UNALIGNED, bytes - 8, 0x1234_5678_9abc_def0L);
        assertEquals(0x1234_5678_9abc_def0L, m.get(ValueLayout.JAVA_LONG_UNALIGNED, bytes - 8));
    }

    @Test
    void linuxWithNativeAccessMapsItsOwnMemory() {
        assumeTrue(System.getProperty("os.name", "").startsWith("Linux"), "mmap and madvise are Linux's");
        assumeTrue(LargePages.class.getModule().isNativeAccessEnabled(), "the tests run without --enable-native-access");
        assumeTrue(!Boolean.getBoolean("tandem.noLargePages"), "turned off by -Dtandem.noLargePages");
        assertTrue(LargePages.mapped());
    }
}
