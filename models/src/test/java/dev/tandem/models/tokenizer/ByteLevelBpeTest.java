package dev.tandem.models.tokenizer;

import static dev.tandem.models.tokenizer.Synthetic.GPT2;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tandem.core.TandemException;
import dev.tandem.models.TextStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class ByteLevelBpeTest {
    private static int id(String piece) {
        return GPT2.tokenId(piece);
    }

    @Test
    void theByteAlphabetIsGpt2s() {
        assertEquals('Ġ', ByteUnicode.toChar(' '));
        assertEquals('Ċ', ByteUnicode.toChar('\n'));
        assertEquals('A', ByteUnicode.toChar('A'));
        for (int b = 0; b < 256; b++) {
            assertEquals(b, ByteUnicode.toByte(ByteUnicode.toChar(b)));
        }
    }

    @Test
    void mergesApplyInRankOrder() {
        // Ġ t h e: Ġt (rank 0) first, then he (1), then Ġt+he (2)
        assertArrayEquals(new int[] {id("Ġthe")}, GPT2.encode(" the", true, false));
        // t h e: no "th" rule, so he then nothing
        assertArrayEquals(new int[] {'t', id("he")}, GPT2.encode("the", false, false));
        // h e r: he (rank 1) beats er (rank 5) and leaves "he r", which has no rule
        assertArrayEquals(new int[] {id("he"), 'r'}, GPT2.encode("her", false, false));
        // Ġ i n: "in" (rank 3) beats "Ġi" (rank 6); then Ġ + in has no rule although the piece Ġin exists
        assertArrayEquals(new int[] {' ', id("in")}, GPT2.encode(" in", false, false));
        assertArrayEquals(new int[] {'a', id("Ġthe")}, GPT2.encode("a the", false, false));
    }

    @Test
    void everyByteHasAPiece() {
        assertArrayEquals(new int[] {0xc3, 0xa9, 0xf0, 0x9f, 0x98, 0x80}, GPT2.encode("\u00e9\uD83D\uDE00", false, false));
        assertEquals("\u00e9\uD83D\uDE00", TextStream.decodeAll(GPT2, -1, GPT2.encode("\u00e9\uD83D\uDE00", false, false)));
    }

    @Test
    void ignoreMergesTakesWholeWordPieces() {
        ByteLevelBpe t = new ByteLevelBpe(GPT2.vocabulary(), GPT2.merges(), GPT2.specialTokens(), GPT2.preTokenizer(),
                new ByteLevelBpe.Options(true, false, false), null);
        assertArrayEquals(new int[] {id("Ġin")}, t.encode(" in", false, false)); // the merges alone give Ġ + in
    }

    @Test
    void specialTokensSplitOnlyWhenParsedUserDefinedAlways() {
        int start = id("<|im_start|>");
        assertArrayEquals(new int[] {start, 't', id("he")}, GPT2.encode("<|im_start|>the", false, false, true));
        int[] plain = GPT2.encode("<|im_start|>the", false, false);
        assertFalse(contains(plain, start));
        assertEquals("<|im_start|>the", TextStream.decodeAll(GPT2, -1, plain));
        assertArrayEquals(new int[] {id("<tool>"), id("Ġthe")}, GPT2.encode("<tool> the", false, false));
    }

    @Test
    void longestSpecialTokenWinsAtAPosition() {
        List<String> pieces = new ArrayList<>(GPT2.vocabulary().pieces());
        List<TokenType> types = new ArrayList<>(GPT2.vocabulary().types());
        pieces.add("<|im_start|>x");
        types.add(TokenType.CONTROL);
        ByteLevelBpe t = new ByteLevelBpe(new Vocabulary(pieces, types), GPT2.merges(), GPT2.specialTokens(),
                GPT2.preTokenizer(), ByteLevelBpe.Options.DEFAULT, null);
        assertArrayEquals(new int[] {pieces.size() - 1, 'y'}, t.encode("<|im_start|>xy", false, false, true));
    }

    @Test
    void bosIsAddedOnlyWhenTheModelAddsIt() {
        assertArrayEquals(new int[] {'a'}, GPT2.encode("a", true, false));
        ByteLevelBpe withBos = GPT2.withSpecialTokens(GPT2.specialTokens().withBos(id("<|im_start|>"), true));
        assertArrayEquals(new int[] {id("<|im_start|>"), 'a', id("<|endoftext|>")}, withBos.encode("a", true, true));
    }

    @Test
    void endOfGenerationCoversTurnMarkers() {
        assertTrue(GPT2.isEndOfGeneration(id("<|im_end|>")));
        assertTrue(GPT2.isEndOfGeneration(id("<|endoftext|>")));
        assertFalse(GPT2.isEndOfGeneration(id("<|im_start|>")));
        assertFalse(GPT2.isEndOfGeneration('a'));
    }

    @Test
    void nfcNormalisesBeforeSplitting() {
        ByteLevelBpe nfc = new ByteLevelBpe(GPT2.vocabulary(), GPT2.merges(), GPT2.specialTokens(), GPT2.preTokenizer(),
                new ByteLevelBpe.Options(false, false, true), null);
        String decomposed = "e\u0301"; // e + combining acute
        assertArrayEquals(GPT2.encode("\u00e9", false, false), nfc.encode(decomposed, false, false));
        assertEquals(3, GPT2.encode(decomposed, false, false).length);
    }

    @Test
    void brokenMergesAreAClearError() {
        TandemException e = assertThrows(TandemException.class, () -> new ByteLevelBpe(GPT2.vocabulary(),
                List.of(ByteLevelBpe.Merge.parse("q z")), GPT2.specialTokens(), GPT2.preTokenizer(),
                ByteLevelBpe.Options.DEFAULT, null));
        assertTrue(e.getMessage().contains("'qz'"), e.getMessage());
        assertThrows(TandemException.class, () -> ByteLevelBpe.Merge.parse("nospace"));
        assertEquals(new ByteLevelBpe.Merge(" a", "b"), ByteLevelBpe.Merge.parse(" a b")); // llama.cpp: first space after index 0
    }

    @Test
    void missingBytePiecesUseByteTokensOrUnk() {
        List<String> pieces = new ArrayList<>(List.of("<unk>", "a"));
        List<TokenType> types = new ArrayList<>(List.of(TokenType.UNKNOWN, TokenType.NORMAL));
        ByteLevelBpe t = new ByteLevelBpe(new Vocabulary(pieces, types), List.of(),
                new SpecialTokens(-1, -1, 0, -1, false, false), PreTokenizer.named("gpt2"), ByteLevelBpe.Options.DEFAULT, null);
        assertArrayEquals(new int[] {1, 0}, t.encode("ab", false, false));
        ByteLevelBpe noUnk = new ByteLevelBpe(new Vocabulary(List.of("a"), List.of(TokenType.NORMAL)), List.of(),
                new SpecialTokens(-1, -1, -1, -1, false, false), PreTokenizer.named("gpt2"), ByteLevelBpe.Options.DEFAULT, null);
        TandemException e = assertThrows(TandemException.class, () -> noUnk.encode("b", false, false));
        assertTrue(e.getMessage().contains("0x62"), e.getMessage());
    }

    /** The O(n log n) queue against the plain rule (lowest-ranked adjacent pair, leftmost, repeat). */
    @Test
    void agreesWithTheNaiveRankRuleOnRandomMerges() {
        Random rnd = new Random(23);
        for (int trial = 0; trial < 30; trial++) {
            List<String> pieces = new ArrayList<>();
            List<TokenType> types = new ArrayList<>();
            for (int b = 0; b < 256; b++) {
                pieces.add(String.valueOf(ByteUnicode.toChar(b)));
                types.add(TokenType.NORMAL);
            }
            String alphabet = "abcde";
            List<ByteLevelBpe.Merge> merges = new ArrayList<>();
            List<String> grown = new ArrayList<>();
            for (char c : alphabet.toCharArray()) {
                grown.add(String.valueOf(c));
            }
            while (merges.size() < 40) {
                String l = grown.get(rnd.nextInt(grown.size()));
                String r = grown.get(rnd.nextInt(grown.size()));
                ByteLevelBpe.Merge m = new ByteLevelBpe.Merge(l, r);
                if (!merges.contains(m) && (l + r).length() <= 6) {
                    merges.add(m);
                    if (!pieces.contains(l + r)) {
                        pieces.add(l + r);
                        types.add(TokenType.NORMAL);
                        grown.add(l + r);
                    }
                }
            }
            ByteLevelBpe t = new ByteLevelBpe(new Vocabulary(pieces, types), merges,
                    new SpecialTokens(-1, -1, -1, -1, false, false), PreTokenizer.named("gpt2"), ByteLevelBpe.Options.DEFAULT, null);
            for (int k = 0; k < 30; k++) {
                StringBuilder sb = new StringBuilder();
                int len = 1 + rnd.nextInt(20);
                for (int i = 0; i < len; i++) {
                    sb.append(alphabet.charAt(rnd.nextInt(alphabet.length())));
                }
                String word = sb.toString();
                assertArrayEquals(naive(t, word), t.encode(word, false, false), "'" + word + "' trial " + trial);
            }
        }
    }

    private static int[] naive(ByteLevelBpe t, String word) {
        List<String> sym = new ArrayList<>();
        for (char c : word.toCharArray()) {
            sym.add(String.valueOf(c));
        }
        while (true) {
            int bestRank = Integer.MAX_VALUE;
            int at = -1;
            for (int i = 0; i + 1 < sym.size(); i++) {
                int r = t.merges().indexOf(new ByteLevelBpe.Merge(sym.get(i), sym.get(i + 1)));
                if (r >= 0 && r < bestRank) {
                    bestRank = r;
                    at = i;
                }
            }
            if (at < 0) {
                break;
            }
            sym.set(at, sym.get(at) + sym.remove(at + 1));
        }
        return sym.stream().mapToInt(t::tokenId).toArray();
    }

    private static boolean contains(int[] a, int x) {
        for (int v : a) {
            if (v == x) {
                return true;
            }
        }
        return false;
    }

    @Test
    void decodeMapsBytePiecesBackAndSpecialsToText() {
        assertEquals(" the", new String(GPT2.decode(-1, id("Ġthe")), StandardCharsets.UTF_8));
        assertEquals("<|im_end|>", new String(GPT2.decode(-1, id("<|im_end|>")), StandardCharsets.UTF_8));
    }
}
