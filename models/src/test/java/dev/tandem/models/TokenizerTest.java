package dev.tandem.models;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.tandem.core.TandemException;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

class TokenizerTest {
    private static final Tokenizer TOK = Llama2cTokenizer.load(Shared.tokenizer(), 512);

    @Test
    void emptyTextIsJustBos() {
        assertArrayEquals(new int[] {1}, TOK.encode("", true, false));
        assertArrayEquals(new int[] {}, TOK.encode("", false, false));
        assertArrayEquals(new int[] {1, 2}, TOK.encode("", true, true));
    }

    @Test
    void unknownCharactersFallBackToByteTokens() {
        String emoji = "\uD83D\uDE00"; // U+1F600: four UTF-8 bytes f0 9f 98 80, no piece in a 512-token vocabulary
        int[] ids = TOK.encode(emoji, false, false);
        // the dummy-prefix space, then each byte as its byte token (byte + 3)
        assertArrayEquals(new int[] {0xf0 + 3, 0x9f + 3, 0x98 + 3, 0x80 + 3}, Arrays.copyOfRange(ids, ids.length - 4, ids.length));
        assertEquals(" " + emoji, TextStream.decodeAll(TOK, 0, ids));
    }

    @Test
    void decodeStripsLeadingSpaceAfterBosOnly() {
        int[] ids = TOK.encode("Hello", true, false);
        assertEquals("Hello", TextStream.decodeAll(TOK, ids[0], Arrays.copyOfRange(ids, 1, ids.length)));
        assertEquals(" Hello", TextStream.decodeAll(TOK, 0, Arrays.copyOfRange(ids, 1, ids.length)));
    }

    @Test
    void roundTripsRandomUnicode() {
        Random rnd = new Random(9);
        for (int t = 0; t < 200; t++) {
            StringBuilder sb = new StringBuilder();
            int len = rnd.nextInt(30);
            for (int i = 0; i < len; i++) {
                int cp = switch (rnd.nextInt(4)) {
                    case 0 -> 'a' + rnd.nextInt(26);
                    case 1 -> ' ';
                    case 2 -> 0x00C0 + rnd.nextInt(0x100);
                    default -> 0x1F600 + rnd.nextInt(50);
                };
                sb.appendCodePoint(cp);
            }
            String text = sb.toString();
            int[] ids = TOK.encode(text, true, false);
            String decoded = TextStream.decodeAll(TOK, ids[0], Arrays.copyOfRange(ids, 1, ids.length));
            assertEquals(text.isEmpty() ? "" : text, decoded);
        }
    }

    @Test
    void outOfRangeTokenIsAClearError() {
        assertThrows(TandemException.class, () -> TOK.decode(1, 512));
        assertThrows(TandemException.class, () -> TOK.decode(1, -1));
    }
}
