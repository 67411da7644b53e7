package dev.tandem.models.tokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tandem.core.TandemException;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Splits worked out by hand from each family's regex. */
class PreTokenizerTest {
    private static List<String> split(String family, String text) {
        return PreTokenizer.named(family).split(text);
    }

    @Test
    void gpt2() {
        assertEquals(List.of("Hello", " world", "!"), split("gpt2", "Hello world!"));
        assertEquals(List.of("don", "'t", " stop"), split("gpt2", "don't stop"));
        assertEquals(List.of("I", "'", "M"), split("gpt2", "I'M")); // contractions are lower-case only
        // \s+(?!\S): a run of spaces leaves its last space to the next word (lookahead, which Rust's regex lacks)
        assertEquals(List.of("a", "  ", " b"), split("gpt2", "a   b"));
        assertEquals(List.of("a", "\n", "\n", "b"), split("gpt2", "a\n\nb"));
        assertEquals(List.of(" 123456", "x"), split("gpt2", " 123456x"));
        assertEquals(List.of("(", "hello"), split("gpt2", "(hello"));
    }

    @Test
    void llama3() {
        assertEquals(List.of("Hello", " world", " ", "123", "456"), split("llama3", "Hello world 123456"));
        assertEquals(List.of("I", "'M"), split("llama3", "I'M")); // case-insensitive contractions
        assertEquals(List.of("(hello"), split("llama3", "(hello")); // one non-letter may lead a word
        assertEquals(List.of("x", "\n\n", "y"), split("llama3", "x\n\ny"));
        assertEquals(List.of("...\n", "a"), split("llama3", "...\na"));
        assertEquals(List.of("12", " ", "3"), split("llama3", "12 3"));
    }

    @Test
    void qwen2SplitsDigitsOneByOne() {
        assertEquals(List.of("Hello", " ", "1", "2", "3", "4"), split("qwen2", "Hello 1234"));
        assertEquals(List.of("(hello"), split("qwen2", "(hello"));
    }

    @Test
    void smollmIsolatesDigitsThenSplitsLikeGpt2() {
        assertEquals(List.of("x", " ", "1", "2"), split("smollm", "x 12"));
        assertEquals(List.of("x", " 12"), split("gpt2", "x 12"));
        assertEquals(List.of("abc", "1", "2", "3", " def"), split("smollm", "abc123 def"));
    }

    @Test
    void whitespaceIsUnicodeWhitespaceAsInOniguruma() {
        // U+3000 is White_Space: with Java's ASCII-only \s it would be punctuation and stick together
        assertEquals(List.of("\u3000", "\u3000", "b"), split("gpt2", "\u3000\u3000b"));
        assertEquals(List.of("a", "\u2003", "\u2003", "b"), split("gpt2", "a\u2003\u2003b"));
        // and letters/numbers are Unicode categories, supplementary planes included
        assertEquals(List.of("\uD835\uDC00\uD835\uDC01", " ", "\u0661", "\u0662"), split("qwen2", "\uD835\uDC00\uD835\uDC01 \u0661\u0662"));
    }

    /**
     * Newer tokenizer.json files (tiktoken-derived) spell these patterns with possessive quantifiers (?+, ++),
     * which Rust's regex crate lacks and llama.cpp rewrites as greedy ones. For these classes the two
     * are the same (the optional prefix excludes what follows it); Java runs both, and they agree.
     */
    @Test
    void possessiveAndGreedyFormsAgree() {
        String possessive = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?+\\p{L}+|\\p{N}{1,3}"
                + "| ?[^\\s\\p{L}\\p{N}]++[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
        PreTokenizer p = PreTokenizer.of(List.of(new PreTokenizer.Stage(PreTokenizer.StageKind.SPLIT, possessive)));
        PreTokenizer g = PreTokenizer.named("llama3");
        Random rnd = new Random(3);
        String chars = "ab Z'st\n\r\t.,!(1234\u00e9\u4e2d\u3000";
        for (int t = 0; t < 2000; t++) {
            StringBuilder sb = new StringBuilder();
            for (int i = rnd.nextInt(20); i > 0; i--) {
                sb.append(chars.charAt(rnd.nextInt(chars.length())));
            }
            assertEquals(g.split(sb.toString()), p.split(sb.toString()), "'" + sb + "'");
        }
    }

    @Test
    void splitsAlwaysCoverTheText() {
        Random rnd = new Random(5);
        for (String f : List.of("gpt2", "llama3", "qwen2", "smollm", "default")) {
            for (int t = 0; t < 300; t++) {
                String s = RandomText.next(rnd, 30);
                assertEquals(s, String.join("", split(f, s)), f);
            }
        }
    }

    @Test
    void familiesAreKnownByTheirGgufNames() {
        assertEquals("llama3", PreTokenizer.named("llama-bpe").family());
        assertEquals("gpt2", PreTokenizer.named("gpt-2").family());
        assertEquals("smollm", PreTokenizer.named("starcoder").family());
        assertEquals("llama-bpe", PreTokenizer.named("llama3").ggufName());
        assertEquals("qwen2", PreTokenizer.of(PreTokenizer.named("qwen2").stages()).family());
        assertNull(PreTokenizer.of(List.of(new PreTokenizer.Stage(PreTokenizer.StageKind.SPLIT, "x"))).family());
        TandemException e = assertThrows(TandemException.class, () -> PreTokenizer.named("klingon"));
        assertTrue(e.getMessage().contains("llama-bpe"), e.getMessage());
        e = assertThrows(TandemException.class,
                () -> PreTokenizer.of(List.of(new PreTokenizer.Stage(PreTokenizer.StageKind.SPLIT, "\\p{Han}+"))));
        assertTrue(e.getMessage().contains("java.util.regex"), e.getMessage());
    }
}
