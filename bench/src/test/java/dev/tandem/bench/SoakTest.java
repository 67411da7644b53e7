package dev.tandem.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The short soak of {@code ./tandem test} ({@code ./tandem bench soak} is the long one). */
class SoakTest {
    @Test
    void clientsThatHangUpLoseNothingAndLeaveNothingRunning() throws Exception {
        try (BatchingServer served = BatchingServer.start(6, 24)) {
            Soak.Result r = Soak.run(served.engine(), served.server(), 6, 12, 0.4, 3);
            assertEquals(java.util.List.of(), r.problems(), "every request kept the contract");
            assertEquals(72, r.sent());
            assertEquals(r.sent(), r.completed() + r.hungUp(), "every request is accounted for");
            assertTrue(r.hungUp() > 0 && r.completed() > 0, r.toString());
            assertEquals(0, r.activeAfter(), "no generation is left running");
            assertTrue(r.serverDisconnects() <= r.hungUp(), r.toString());
        }
    }
}
