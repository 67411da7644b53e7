package dev.tandem.decoding;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tandem.models.Tokenizer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class OutputTrackerTest {
    /** Token i decodes to the i-th piece; 1 and 2 are BOS/EOS. */
    private static final String[] PIECES = {"?", "<s>", "</s>", "Hello", " wor", "ld", " STO", "P", "!", "\u00e9"};

    private static class Toy implements Tokenizer {
        public int vocabSize() { return PIECES.length; }
        public int bos() { return 1; }
        public int eos() { return 2; }
        public int[] encode(String text, boolean bos, boolean eos) { throw new UnsupportedOperationException(); }
        public byte[] decode(int prev, int token) { return PIECES[token].getBytes(StandardCharsets.UTF_8); }
        public String piece(int token) { return PIECES[token]; }
    }

    /** What the tracker under test streamed (JUnit makes a new instance, so a new builder, per test). */
    private final StringBuilder streamed = new StringBuilder();

    private OutputTracker tracker(Tokenizer tokenizer, int max, List<String> stops) {
        return new OutputTracker(tokenizer, 1, new GenerationRequest(new int[] {1}, max, SamplingParams.GREEDY, stops), streamed::append);
    }

    private OutputTracker tracker(int max, List<String> stops) {
        return tracker(new Toy(), max, stops);
    }

    /** The tracker stopped for {@code reason}, keeping {@code text}, and streamed exactly that text. */
    private void assertStopped(OutputTracker t, StopReason reason, String text) {
        assertEquals(reason, t.stopReason());
        assertEquals(text, t.text());
        assertEquals(text, streamed.toString());
    }

    @Test
    void stopsAtMaxTokens() {
        OutputTracker t = tracker(2, List.of());
        assertTrue(t.accept(3));
        assertFalse(t.accept(4));
        assertStopped(t, StopReason.LENGTH, "Hello wor");
    }

    @Test
    void stopsAtEosWithoutEmittingIt() {
        OutputTracker t = tracker(10, List.of());
        t.accept(3);
        assertFalse(t.accept(2));
        assertEquals(StopReason.END_OF_SEQUENCE, t.stopReason());
        assertEquals(1, t.tokens().length);
        assertEquals("Hello", streamed.toString());
    }

    @Test
    void stopsAtTheTokenizersEndOfTurnTokens() {
        Tokenizer chat = new Toy() {
            @Override public boolean isEndOfGeneration(int token) { return token == 8 || token == 2; }
        };
        OutputTracker t = tracker(chat, 10, List.of());
        assertTrue(t.accept(3));
        assertFalse(t.accept(8)); // "!" plays an end-of-turn marker here
        assertEquals(StopReason.END_OF_SEQUENCE, t.stopReason());
        assertEquals("Hello", streamed.toString());
    }

    @Test
    void stopStringIsCutAndItsPrefixNeverStreamed() {
        OutputTracker t = tracker(10, List.of(" STOP"));
        t.accept(3);
        t.accept(4);
        t.accept(5);
        assertTrue(t.accept(6));
        assertEquals("Hello world", streamed.toString(), "' STO' is held back: it may become ' STOP'");
        assertFalse(t.accept(7));
        assertStopped(t, StopReason.STOP_STRING, "Hello world");
    }

    @Test
    void heldBackTextIsReleasedWhenItDoesNotBecomeTheStopString() {
        OutputTracker t = tracker(10, List.of(" STOP"));
        t.accept(6);
        assertEquals("", streamed.toString());
        t.accept(8);
        assertEquals(" STO!", streamed.toString());
    }
}
