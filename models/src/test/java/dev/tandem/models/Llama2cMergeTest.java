package dev.tandem.models;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The llama2.c tokenizer's merge queue against the reference's rescan-per-merge loop (written out here as
 * the oracle), and its work: linear in the text, where the rescan was quadratic (a 200 KB prompt took
 * minutes).
 */
class Llama2cMergeTest {
    private static final Llama2cTokenizer TOK = Llama2cTokenizer.load(Shared.tokenizer(), 512);

    @Test
    void mergesExactlyAsTheReferenceLoop() {
        Random rnd = new Random(20);
        String story = "Once upon a time, there was a little girl named Lily. She loved to play outside in the sunshine. ";
        for (int t = 0; t < 300; t++) {
            String drawn = RandomText.draw(rnd, rnd.nextInt(200),
                    List.of(r -> " ", r -> Character.toString(0x00C0 + r.nextInt(0x40)), r -> "  \n"), story, 3);
            String text = t % 3 == 0 ? drawn + story.repeat(1 + rnd.nextInt(4)) : drawn;
            assertArrayEquals(reference(text), TOK.encode(text, true, true), () -> "text: " + text);
        }
    }

    @Test
    void mergeWorkGrowsLinearlyWithTheText() {
        String story = "Once upon a time, there was a little girl named Lily. She loved to play outside in the sunshine. ";
        for (int chars : new int[] {1_000, 10_000, 100_000, 1_000_000}) {
            String text = story.repeat(chars / story.length() + 1).substring(0, chars);
            String spaces = " ".repeat(chars); // one run of a single repeated piece: the old loop's worst case
            for (String s : new String[] {text, spaces}) {
                int symbols = s.getBytes(StandardCharsets.UTF_8).length + 1;
                long work = TOK.mergeWork(s);
                // one push per initial pair and at most two per merge (each merge removes a symbol)
                assertTrue(work <= 3L * symbols, () -> chars + " characters took " + work + " queue pushes for " + symbols + " symbols");
            }
        }
    }

    /** llama2.c's encode: after the byte fallback, rescan all pairs and merge the best, until none merges. */
    private static int[] reference(String text) {
        byte[] utf8 = text.getBytes(StandardCharsets.UTF_8);
        int[] tokens = new int[utf8.length + 3];
        int n = 0;
        tokens[n++] = Llama2cTokenizer.BOS;
        if (utf8.length > 0) {
            tokens[n++] = TOK.tokenId(" ");
        }
        for (int i = 0; i < utf8.length; ) {
            int len = 1;
            while (i + len < utf8.length && (utf8[i + len] & 0xC0) == 0x80 && len < 4) {
                len++;
            }
            int id = TOK.tokenId(new String(utf8, i, len, StandardCharsets.UTF_8));
            if (id >= 0) {
                tokens[n++] = id;
            } else {
                for (int b = 0; b < len; b++) {
                    tokens[n++] = (utf8[i + b] & 0xFF) + 3;
                }
            }
            i += len;
        }
        while (true) {
            float best = -1e10f;
            int bestId = -1;
            int bestIdx = -1;
            for (int i = 1; i < n - 1; i++) {
                int id = TOK.tokenId(TOK.piece(tokens[i]) + TOK.piece(tokens[i + 1]));
                if (id >= 0 && TOK.score(id) > best) {
                    best = TOK.score(id);
                    bestId = id;
                    bestIdx = i;
                }
            }
            if (bestIdx < 0) {
                break;
            }
            tokens[bestIdx] = bestId;
            System.arraycopy(tokens, bestIdx + 2, tokens, bestIdx + 1, n - bestIdx - 2);
            n--;
        }
        tokens[n++] = Llama2cTokenizer.EOS;
        return Arrays.copyOf(tokens, n);
    }
}
