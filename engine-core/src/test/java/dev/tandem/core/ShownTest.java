package dev.tandem.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class ShownTest {
    @Test
    void escapesControlCharactersAndCapsTheLength() {
        assertEquals("'general.name'", Shown.quote("general.name"));
        assertEquals("'a\\u0000b\\n\\u001b[2J'", Shown.quote("a\0b\n\u001b[2J"));
        assertEquals("'\\ufffd'", Shown.quote("\uFFFD"));
        String q = Shown.quote("x".repeat(500));
        assertTrue(q.startsWith("'" + "x".repeat(Shown.MAX) + "' (420 more characters)"), q);
        assertEquals("'héllo 世界'", Shown.quote("héllo 世界"));
        assertEquals("piece '<\\u0000xC4>' is bad", Shown.clean("piece '<\u0000xC4>' is bad"));
        assertTrue(Shown.clean("y".repeat(1000)).endsWith("y (400 more characters)"), Shown.clean("y".repeat(1000)));
    }
}
