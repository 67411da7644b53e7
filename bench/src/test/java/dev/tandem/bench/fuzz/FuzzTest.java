package dev.tandem.bench.fuzz;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The short, seeded fuzz run of {@code ./tandem test}: every mutated file and malformed request runs or is
 * refused in one clean line; none throws another exception, runs out of memory or hangs.
 * ({@code ./tandem bench fuzz} runs the long version.)
 */
class FuzzTest {
    @Test
    void mutatedFilesAndMalformedRequestsRunOrAreRefusedCleanly(@TempDir Path dir) {
        Path shared = Path.of(System.getProperty("tandem.shared", "../shared")).toAbsolutePath().normalize();
        List<FuzzRun> runs = Fuzz.run(shared, dir, 150, 150, 7);
        StringBuilder failures = new StringBuilder();
        for (FuzzRun r : runs) {
            r.failures().forEach(f -> failures.append(r.kind()).append(": ").append(f).append('\n'));
        }
        assertEquals(6, runs.size());
        for (FuzzRun r : runs) {
            assertEquals(0, r.count(Outcome.FAILED), Fuzz.table(runs) + failures);
            assertTrue(r.count(Outcome.REFUSED) > 0, r.kind() + " mutants were refused, as most must be");
            assertTrue(r.total() >= 150, r.kind() + ": " + r.total() + " cases");
        }
    }

    @Test
    void aRefusalMustBeOneCleanLineNamingTheFile() {
        assertEquals(null, FuzzRun.badMessage("model file a.gguf is truncated", "a.gguf"));
        assertTrue(FuzzRun.badMessage("bad key \u0000\u0001", null).startsWith("control characters"));
        assertTrue(FuzzRun.badMessage("x".repeat(2000), null).startsWith("a message of 2000"));
        assertTrue(FuzzRun.badMessage("something is wrong", "a.gguf").contains("does not name a.gguf"));
        assertTrue(FuzzRun.badMessage("two\nlines", null).startsWith("control characters"));
    }
}
