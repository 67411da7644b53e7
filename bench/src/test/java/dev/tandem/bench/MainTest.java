package dev.tandem.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tandem.core.TandemException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class MainTest {
    @Test
    void everyBenchmarkHasASynopsisAndRefusesOptionsItDoesNotRead() {
        for (String b : new String[] {"ar", "methods", "verify-cost", "matmul", "tokenize", "synthetic-model", "decode-forks", "fuzz", "compare", "load", "report"}) {
            assertNotNull(Main.usage(b), b);
        }
        assertNull(Main.usage("nonsense"));
        String ar = Main.usage("ar");
        assertNull(Main.unknownOption(ar, new String[] {"--threads", "1,2", "--tokens", "24"}));
        assertEquals("--tokns", Main.unknownOption(ar, new String[] {"--threads", "1", "--tokns", "24"}));
        assertEquals("--thread", Main.unknownOption(ar, new String[] {"--thread", "1"}));
    }

    @Test
    void helpPrintsTheSynopsisInsteadOfRunning() throws Exception {
        java.io.PrintStream stdout = System.out;
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        System.setOut(new java.io.PrintStream(out, true, java.nio.charset.StandardCharsets.UTF_8));
        try {
            Main.main(new String[] {"ar", "--help"});
        } finally {
            System.setOut(stdout);
        }
        // only the synopsis: a benchmark run would have printed its table
        assertEquals("usage: " + Main.usage("ar"), out.toString(java.nio.charset.StandardCharsets.UTF_8).strip());
    }

    @Test
    void moreTokensThanTheContextHoldsIsAClearError() {
        Path gguf = Path.of(System.getProperty("tandem.shared", "../shared"), "models/stories260k/stories260K-llamacpp.gguf");
        TandemException e = assertThrows(TandemException.class,
                () -> ArThroughput.main(new String[] {"--model", gguf.toString(), "--tokens", "255", "--runs", "1", "--warmup-seconds", "0"}));
        assertTrue(e.getMessage().contains("255") && e.getMessage().contains("128"), e.getMessage());
    }
}
