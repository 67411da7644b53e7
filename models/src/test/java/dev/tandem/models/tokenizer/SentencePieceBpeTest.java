package dev.tandem.models.tokenizer;

import static dev.tandem.models.tokenizer.Synthetic.SP;
import static dev.tandem.models.tokenizer.Synthetic.SPM;
import static dev.tandem.models.tokenizer.Synthetic.spm;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tandem.core.TandemException;
import dev.tandem.models.TextStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class SentencePieceBpeTest {
    private static int b(int value) {
        return 3 + value; // byte tokens follow <unk> <s> </s>
    }

    @Test
    void mergesTheBestScoringPairFirst() {
        // ▁ a b c: ab (-1) beats bc (-2) and ▁a (-3); then ab+c = abc (-0.5)
        assertArrayEquals(new int[] {1, spm(SP), spm("abc")}, SPM.encode("abc", true, false));
        // ▁ b c a: only bc exists
        assertArrayEquals(new int[] {1, spm(SP), spm("bc"), spm("a")}, SPM.encode("bca", true, false));
        // ▁a▁b: both merge; ab then no ▁ab piece
        assertArrayEquals(new int[] {spm(SP + "a"), spm(SP + "b")}, SPM.encode("a b", false, false));
        assertArrayEquals(new int[] {spm(SP), spm("ab"), spm(SP), spm("c")}, SPM.encode("ab c", false, false));
    }

    @Test
    void equalScoresMergeLeftmostFirst() {
        assertArrayEquals(new int[] {spm(SP), spm("xy"), spm("x")}, SPM.encode("xyx", false, false));
        assertArrayEquals(new int[] {spm(SP), spm("yx"), spm("y")}, SPM.encode("yxy", false, false));
    }

    @Test
    void unknownCharactersFallBackToTheirUtf8Bytes() {
        // é = c3 a9, 😀 = f0 9f 98 80
        assertArrayEquals(new int[] {spm(SP + "a"), b(0xc3), b(0xa9), b(0xf0), b(0x9f), b(0x98), b(0x80)},
                SPM.encode("a\u00e9\uD83D\uDE00", false, false));
    }

    @Test
    void withoutByteTokensUnknownCharactersBecomeUnk() {
        Vocabulary v = new Vocabulary(List.of("<unk>", "<s>", "</s>", SP, "a"), List.of(TokenType.UNKNOWN,
                TokenType.CONTROL, TokenType.CONTROL, TokenType.NORMAL, TokenType.NORMAL));
        SentencePieceBpe t = new SentencePieceBpe(v, new float[5], new SpecialTokens(1, 2, 0, -1, true, false),
                SentencePieceBpe.SpacePrefix.ALWAYS, null);
        assertArrayEquals(new int[] {1, 3, 4, 0, 0}, t.encode("aé", true, false)); // é is two bytes: two <unk>
        SentencePieceBpe noUnk = new SentencePieceBpe(v, new float[5], new SpecialTokens(1, 2, -1, -1, true, false),
                SentencePieceBpe.SpacePrefix.ALWAYS, null);
        TandemException e = assertThrows(TandemException.class, () -> noUnk.encode("é", true, false));
        assertTrue(e.getMessage().contains("no unknown token"), e.getMessage());
    }

    @Test
    void controlTokensAreParsedOnlyWhenAskedAndStartANewDummyPrefix() {
        assertArrayEquals(new int[] {1, spm(SP + "a"), 1, spm(SP + "b")}, SPM.encode("a<s>b", true, false, true));
        // not parsed: '<', 's', '>' have no pieces and become bytes
        assertArrayEquals(new int[] {1, spm(SP + "a"), b('<'), b('s'), b('>'), spm("b")}, SPM.encode("a<s>b", true, false));
    }

    @Test
    void userDefinedTokensAreAlwaysMatched() {
        assertArrayEquals(new int[] {1, spm("<tool>"), spm(SP + "a")}, SPM.encode("<tool>a", true, false));
    }

    @Test
    void eosIsAppendedWhenAsked() {
        assertArrayEquals(new int[] {1, spm(SP + "a"), 2}, SPM.encode("a", true, true));
        assertArrayEquals(new int[] {1}, SPM.encode("", true, false));
        assertArrayEquals(new int[] {}, SPM.encode("", false, false));
    }

    @Test
    void spacePrefixModes() {
        SentencePieceBpe none = new SentencePieceBpe(SPM.vocabulary(), SPM.scores(), SPM.specialTokens(),
                SentencePieceBpe.SpacePrefix.NONE, null);
        assertArrayEquals(new int[] {spm("abc")}, none.encode("abc", false, false));
        SentencePieceBpe first = new SentencePieceBpe(SPM.vocabulary(), SPM.scores(), SPM.specialTokens(),
                SentencePieceBpe.SpacePrefix.FIRST, null);
        assertArrayEquals(new int[] {spm(SP + "a"), 1, spm("b")}, first.encode("a<s>b", false, false, true));
        assertArrayEquals(new int[] {1, spm("b")}, first.encode("<s>b", false, false, true));
        assertArrayEquals(new int[] {1, spm(SP + "b")}, SPM.encode("<s>b", false, false, true));
    }

    @Test
    void decodingRestoresSpacesBytesAndStripsTheDummyPrefixAfterBos() {
        assertEquals("a", new String(SPM.decode(1, spm(SP + "a")), StandardCharsets.UTF_8));
        assertEquals(" a", new String(SPM.decode(spm("x"), spm(SP + "a")), StandardCharsets.UTF_8));
        assertArrayEquals(new byte[] {(byte) 0xc3}, SPM.decode(0, b(0xc3)));
        assertEquals("<s>", new String(SPM.decode(0, 1), StandardCharsets.UTF_8));
        int[] ids = SPM.encode("  a b\u00e9 ", true, false);
        assertEquals("  a b\u00e9 ", TextStream.decodeAll(SPM, ids[0], Arrays.copyOfRange(ids, 1, ids.length)));
        assertThrows(TandemException.class, () -> SPM.decode(0, SPM.vocabSize()));
    }

    @Test
    void endOfGenerationAndLookups() {
        assertTrue(SPM.isEndOfGeneration(2));
        assertTrue(SPM.isEndOfGeneration(1));
        assertFalse(SPM.isEndOfGeneration(spm("a")));
        assertEquals(spm("abc"), SPM.tokenId("abc"));
        assertEquals(-1, SPM.tokenId("zzz"));
    }

    @Test
    void paddingAddsUnusedTokensThatDecodeToNothing() {
        SentencePieceBpe padded = SPM.padTo(SPM.vocabSize() + 3);
        assertEquals(SPM.vocabSize() + 3, padded.vocabSize());
        assertEquals(TokenType.UNUSED, padded.vocabulary().type(SPM.vocabSize() + 2));
        assertEquals(0, padded.decode(1, SPM.vocabSize() + 2).length);
        assertArrayEquals(SPM.encode("abc xy", true, false), padded.encode("abc xy", true, false));
    }

    @Test
    void badConstructionIsAClearError() {
        assertThrows(TandemException.class, () -> new SentencePieceBpe(SPM.vocabulary(), new float[3],
                SPM.specialTokens(), SentencePieceBpe.SpacePrefix.ALWAYS, null));
        TandemException e = assertThrows(TandemException.class, () -> new SentencePieceBpe(SPM.vocabulary(), SPM.scores(),
                new SpecialTokens(9999, 2, 0, -1, true, false), SentencePieceBpe.SpacePrefix.ALWAYS, null));
        assertTrue(e.getMessage().contains("bos"), e.getMessage());
        e = assertThrows(TandemException.class, () -> new Vocabulary(List.of("<0x4G>"), List.of(TokenType.BYTE)));
        assertTrue(e.getMessage().contains("<0xXX>"), e.getMessage());
    }

    /** The O(n log n) queue against the plain O(n^2) rule on random vocabularies and texts. */
    @Test
    void agreesWithTheNaiveGreedyRuleOnRandomVocabularies() {
        Random rnd = new Random(17);
        String alphabet = "ab▁cdé";
        for (int trial = 0; trial < 40; trial++) {
            List<String> pieces = new ArrayList<>(List.of("<unk>", "<s>", "</s>"));
            List<TokenType> types = new ArrayList<>(List.of(TokenType.UNKNOWN, TokenType.CONTROL, TokenType.CONTROL));
            for (int b = 0; b < 256; b++) {
                pieces.add(Vocabulary.bytePiece(b));
                types.add(TokenType.BYTE);
            }
            for (char c : "ab▁cd".toCharArray()) { // é has no piece: byte fallback
                pieces.add(String.valueOf(c));
                types.add(TokenType.NORMAL);
            }
            while (pieces.size() < 259 + 5 + 30) {
                String p = pieces.get(259 + rnd.nextInt(pieces.size() - 259)) + pieces.get(259 + rnd.nextInt(pieces.size() - 259));
                if (!pieces.contains(p) && p.length() <= 6) {
                    pieces.add(p);
                    types.add(TokenType.NORMAL);
                }
            }
            float[] scores = new float[pieces.size()];
            for (int i = 0; i < scores.length; i++) {
                scores[i] = -rnd.nextInt(12); // many ties
            }
            SentencePieceBpe t = new SentencePieceBpe(new Vocabulary(pieces, types), scores,
                    new SpecialTokens(1, 2, 0, -1, true, false), SentencePieceBpe.SpacePrefix.ALWAYS, null);
            for (int k = 0; k < 30; k++) {
                StringBuilder sb = new StringBuilder();
                int len = 1 + rnd.nextInt(25);
                for (int i = 0; i < len; i++) {
                    sb.append(rnd.nextInt(6) == 0 ? ' ' : alphabet.charAt(rnd.nextInt(alphabet.length())));
                }
                String text = sb.toString();
                assertArrayEquals(naive(t, text), t.encode(text, false, false), "text '" + text + "' trial " + trial);
            }
        }
    }

    /** llama2.c's loop: find the best-scoring mergeable pair (strictly better, so leftmost on ties), merge, repeat. */
    static int[] naive(SentencePieceBpe t, String text) {
        Vocabulary v = t.vocabulary();
        String s = SP + text.replace(' ', SentencePieceBpe.SPACE);
        List<String> sym = new ArrayList<>();
        s.codePoints().forEach(cp -> sym.add(new String(Character.toChars(cp))));
        List<Boolean> known = new ArrayList<>();
        for (String x : sym) {
            known.add(v.id(x) >= 0);
        }
        while (true) {
            float best = Float.NEGATIVE_INFINITY;
            int at = -1;
            for (int i = 0; i + 1 < sym.size(); i++) {
                int id = v.id(sym.get(i) + sym.get(i + 1));
                if (known.get(i) && known.get(i + 1) && id >= 0 && v.type(id) == TokenType.NORMAL && t.score(id) > best) {
                    best = t.score(id);
                    at = i;
                }
            }
            if (at < 0) {
                break;
            }
            sym.set(at, sym.get(at) + sym.remove(at + 1));
            known.remove(at + 1);
        }
        List<Integer> out = new ArrayList<>();
        for (int i = 0; i < sym.size(); i++) {
            if (known.get(i)) {
                out.add(v.id(sym.get(i)));
            } else {
                for (byte b : sym.get(i).getBytes(StandardCharsets.UTF_8)) {
                    out.add(v.byteToken(b));
                }
            }
        }
        return out.stream().mapToInt(Integer::intValue).toArray();
    }
}
