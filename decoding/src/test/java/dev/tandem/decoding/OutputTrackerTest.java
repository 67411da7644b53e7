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

    private static final Tokenizer TOY = new Tokenizer() {
        public int vocabSize() { return PIECES.length; }
        public int bos() { return 1; }
        public int eos() { return 2; }
        public int[] encode(String text, boolean bos, boolean eos) { throw new UnsupportedOperationException(); }
        public byte[] decode(int prev, int token) { return PIECES[token].getBytes(StandardCharsets.UTF_8); }
        public String piece(int token) { return PIECES[token]; }
    };

    private static OutputTracker tracker(int max, List<String> stops, StringBuilder streamed) {
        return new OutputTracker(TOY, 1, new GenerationRequest(new int[] {1}, max, SamplingParams.GREEDY, stops), streamed::append);
    }

    @Test
    void stopsAtMaxTokens() {
        StringBuilder s = new StringBuilder();
        OutputTracker t = tracker(2, List.of(), s);
        assertTrue(t.accept(3));
        assertFalse(t.accept(4));
        assertEquals(StopReason.LENGTH, t.stopReason());
        assertEquals("Hello wor", t.text());
        assertEquals("Hello wor", s.toString());
    }

    @Test
    void stopsAtEosWithoutEmittingIt() {
        StringBuilder s = new StringBuilder();
        OutputTracker t = tracker(10, List.of(), s);
        t.accept(3);
        assertFalse(t.accept(2));
        assertEquals(StopReason.END_OF_SEQUENCE, t.stopReason());
        assertEquals(1, t.tokens().length);
        assertEquals("Hello", s.toString());
    }

    @Test
    void stopsAtTheTokenizersEndOfTurnTokens() {
        Tokenizer chat = new Tokenizer() {
            public int vocabSize() { return TOY.vocabSize(); }
            public int bos() { return 1; }
            public int eos() { return 2; }
            public int[] encode(String text, boolean bos, boolean eos) { throw new UnsupportedOperationException(); }
            public byte[] decode(int prev, int token) { return TOY.decode(prev, token); }
            public String piece(int token) { return TOY.piece(token); }
            @Override public boolean isEndOfGeneration(int token) { return token == 8 || token == 2; }
        };
        StringBuilder s = new StringBuilder();
        OutputTracker t = new OutputTracker(chat, 1, new GenerationRequest(new int[] {1}, 10, SamplingParams.GREEDY), s::append);
        assertTrue(t.accept(3));
        assertFalse(t.accept(8)); // "!" plays an end-of-turn marker here
        assertEquals(StopReason.END_OF_SEQUENCE, t.stopReason());
        assertEquals("Hello", s.toString());
    }

    @Test
    void stopStringIsCutAndItsPrefixNeverStreamed() {
        StringBuilder s = new StringBuilder();
        OutputTracker t = tracker(10, List.of(" STOP"), s);
        t.accept(3);
        t.accept(4);
        t.accept(5);
        assertTrue(t.accept(6));
        assertEquals("Hello world", s.toString(), "' STO' is held back: it may become ' STOP'");
        assertFalse(t.accept(7));
        assertEquals(StopReason.STOP_STRING, t.stopReason());
        assertEquals("Hello world", t.text());
        assertEquals("Hello world", s.toString());
    }

    @Test
    void heldBackTextIsReleasedWhenItDoesNotBecomeTheStopString() {
        StringBuilder s = new StringBuilder();
        OutputTracker t = tracker(10, List.of(" STOP"), s);
        t.accept(6);
        assertEquals("", s.toString());
        t.accept(8);
        assertEquals(" STO!", s.toString());
    }
}
