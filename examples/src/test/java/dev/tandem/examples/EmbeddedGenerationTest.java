package dev.tandem.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tandem.decoding.GenerationResult;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The example runs as documented: text streamed, a cancelled background generation, a published one. */
class EmbeddedGenerationTest {
    @Test
    void theExampleRunsItsThreeUses() throws Exception {
        Path model = Path.of(System.getProperty("tandem.shared", "../shared"), "models/stories260k/stories260K.bin");
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        GenerationResult r = EmbeddedGeneration.run(model, new PrintStream(bytes, true, StandardCharsets.UTF_8));
        String out = bytes.toString(StandardCharsets.UTF_8);
        assertTrue(r.stats().tokens() > 0 && out.startsWith(r.text().isEmpty() ? "" : r.text().substring(0, 1)), out);
        assertTrue(out.contains("[blocking] " + r.stats().tokens() + " tokens"), out);
        assertTrue(out.contains("[background] stopped: CANCELLED"), out);
        int pieces = Integer.parseInt(out.replaceAll("(?s).*\\[publisher\\] (\\d+) pieces.*", "$1"));
        assertTrue(pieces > 0, out);
        assertEquals(-1, out.indexOf("failed"), out);
    }
}
