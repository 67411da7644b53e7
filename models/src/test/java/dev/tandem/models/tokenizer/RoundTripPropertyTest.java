package dev.tandem.models.tokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tandem.models.Shared;
import dev.tandem.models.TextStream;
import dev.tandem.models.Tokenizer;
import java.text.Normalizer;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** decode(encode(s)) == s on seeded random Unicode text, for every tokenizer kind. */
class RoundTripPropertyTest {
    private static final int CASES = 400;

    /** Decodes what follows BOS when the tokenizer put one first, else everything. */
    private static String roundTrip(Tokenizer t, String text, boolean parseSpecial) {
        int[] ids = t.encode(text, true, false, parseSpecial);
        boolean hasBos = ids.length > 0 && t.bos() >= 0 && ids[0] == t.bos();
        return hasBos ? TextStream.decodeAll(t, ids[0], Arrays.copyOfRange(ids, 1, ids.length))
                : TextStream.decodeAll(t, -1, ids);
    }

    private static void check(Tokenizer t, long seed) {
        Random rnd = new Random(seed);
        for (int i = 0; i < CASES; i++) {
            String s = RandomText.next(rnd, 40);
            assertEquals(s, roundTrip(t, s, false), () -> "'" + s + "' " + Arrays.toString(t.encode(s, true, false)));
        }
    }

    @Test
    void sentencePieceSynthetic() {
        check(Synthetic.SPM, 1);
    }

    @Test
    void sentencePieceStories260k() {
        check(SentencePieceBpe.fromLlama2c(Shared.tokenizer()), 2);
    }

    @Test
    void sentencePieceWithoutDummyPrefix() {
        SentencePieceBpe s = Synthetic.SPM;
        check(new SentencePieceBpe(s.vocabulary(), s.scores(), s.specialTokens(), SentencePieceBpe.SpacePrefix.NONE, null), 3);
    }

    @Test
    void byteLevelEveryFamily() {
        long seed = 10;
        for (String family : List.of("gpt2", "llama3", "qwen2", "smollm", "default")) {
            check(Synthetic.byteLevel(family), seed++);
        }
    }

    @Test
    void afterTokenizerJsonAndGgufRoundTrips() {
        check(TokenizerJson.parse(dev.tandem.models.io.Json.write(TokenizerJson.toJson(Synthetic.byteLevel("llama3"))),
                null, "test"), 20);
        check(GgufTokenizers.fromMetadata(GgufTokenizers.toMetadata(Synthetic.SPM)), 21);
    }

    /** Control-token text parsed into control tokens decodes back to the same text. */
    @Test
    void byteLevelWithSpecialTokensParsed() {
        ByteLevelBpe t = Synthetic.byteLevel("qwen2");
        Random rnd = new Random(30);
        String[] specials = {"<|im_start|>", "<|im_end|>", "<|endoftext|>", "<tool>"};
        for (int i = 0; i < CASES; i++) {
            String s = RandomText.next(rnd, 10) + specials[rnd.nextInt(4)] + RandomText.next(rnd, 10);
            int[] ids = t.encode(s, false, false, true);
            assertTrue(Arrays.stream(ids).anyMatch(id -> t.vocabulary().type(id) != TokenType.NORMAL), s);
            assertEquals(s, TextStream.decodeAll(t, -1, ids));
        }
    }

    @Test
    void nfcTokenizersRoundTripToTheNormalForm() {
        ByteLevelBpe g = Synthetic.GPT2;
        ByteLevelBpe nfc = new ByteLevelBpe(g.vocabulary(), g.merges(), g.specialTokens(), g.preTokenizer(),
                new ByteLevelBpe.Options(false, false, true), null);
        Random rnd = new Random(40);
        for (int i = 0; i < CASES; i++) {
            String s = RandomText.next(rnd, 40);
            assertEquals(Normalizer.normalize(s, Normalizer.Form.NFC), roundTrip(nfc, s, false));
        }
    }
}
