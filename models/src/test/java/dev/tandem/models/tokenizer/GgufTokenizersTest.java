package dev.tandem.models.tokenizer;

import static dev.tandem.models.tokenizer.GgufTokenizers.ADD_BOS;
import static dev.tandem.models.tokenizer.GgufTokenizers.ADD_SPACE_PREFIX;
import static dev.tandem.models.tokenizer.GgufTokenizers.BOS;
import static dev.tandem.models.tokenizer.GgufTokenizers.CHAT_TEMPLATE;
import static dev.tandem.models.tokenizer.GgufTokenizers.MERGES;
import static dev.tandem.models.tokenizer.GgufTokenizers.MODEL;
import static dev.tandem.models.tokenizer.GgufTokenizers.PRE;
import static dev.tandem.models.tokenizer.GgufTokenizers.SCORES;
import static dev.tandem.models.tokenizer.GgufTokenizers.TOKENS;
import static dev.tandem.models.tokenizer.GgufTokenizers.TOKEN_TYPE;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tandem.core.TandemException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class GgufTokenizersTest {
    @Test
    void sentencePieceMetadataRoundTrips() {
        SentencePieceBpe t = Synthetic.SPM.withChatTemplate("[INST] <<SYS>>");
        Map<String, Object> md = GgufTokenizers.toMetadata(t);
        assertEquals("llama", md.get(MODEL));
        assertInstanceOf(Float.class, ((List<?>) md.get(SCORES)).get(0));
        assertInstanceOf(Integer.class, ((List<?>) md.get(TOKEN_TYPE)).get(0));
        assertInstanceOf(Integer.class, md.get(BOS));
        assertEquals(Boolean.TRUE, md.get(ADD_SPACE_PREFIX));
        SentencePieceBpe back = (SentencePieceBpe) GgufTokenizers.fromMetadata(md);
        assertEquals(t.vocabulary().pieces(), back.vocabulary().pieces());
        assertEquals(t.vocabulary().types(), back.vocabulary().types());
        assertArrayEquals(t.scores(), back.scores());
        assertEquals(t.specialTokens(), back.specialTokens());
        assertEquals(t.chatTemplate(), back.chatTemplate());
        assertEquals(md, GgufTokenizers.toMetadata(back));
    }

    @Test
    void byteLevelMetadataRoundTripsForEveryFamily() {
        for (String family : List.of("gpt2", "llama3", "qwen2", "smollm", "default")) {
            ByteLevelBpe t = Synthetic.byteLevel(family);
            if (family.equals("llama3")) {
                t = new ByteLevelBpe(t.vocabulary(), t.merges(), t.specialTokens().withBos(264, true), t.preTokenizer(),
                        new ByteLevelBpe.Options(true, false, false), null);
            }
            Map<String, Object> md = GgufTokenizers.toMetadata(t);
            assertEquals("gpt2", md.get(MODEL));
            assertEquals(List.of("Ġ t", "h e", "Ġt he", "i n", "Ġ a", "e r", "Ġ i", "Ġi n"), md.get(MERGES));
            ByteLevelBpe back = (ByteLevelBpe) GgufTokenizers.fromMetadata(md);
            assertEquals(family, back.preTokenizer().family());
            assertEquals(t.merges(), back.merges());
            assertEquals(t.options(), back.options());
            assertEquals(t.specialTokens(), back.specialTokens());
            Random rnd = new Random(family.hashCode());
            for (int i = 0; i < 100; i++) {
                String s = RandomText.next(rnd, 30);
                assertArrayEquals(t.encode(s, true, false), back.encode(s, true, false));
            }
        }
    }

    @Test
    void llamaCppDefaultsApply() {
        Map<String, Object> md = new HashMap<>(GgufTokenizers.toMetadata(Synthetic.SPM));
        md.keySet().removeIf(k -> k.endsWith("_id") || k.startsWith("tokenizer.ggml.add") || k.equals(TOKEN_TYPE));
        SentencePieceBpe t = (SentencePieceBpe) GgufTokenizers.fromMetadata(md);
        assertEquals(new SpecialTokens(1, 2, 0, -1, true, false), t.specialTokens());
        assertEquals(TokenType.BYTE, t.vocabulary().type(3)); // no types: <0xXX> spelling still means a byte
        assertEquals(SentencePieceBpe.SpacePrefix.ALWAYS, t.spacePrefix());
        md.put(ADD_SPACE_PREFIX, false);
        assertEquals(SentencePieceBpe.SpacePrefix.NONE, ((SentencePieceBpe) GgufTokenizers.fromMetadata(md)).spacePrefix());

        Map<String, Object> bl = new HashMap<>(GgufTokenizers.toMetadata(Synthetic.byteLevel("llama3")));
        bl.remove(ADD_BOS);
        bl.put(BOS, 264);
        ByteLevelBpe l3 = (ByteLevelBpe) GgufTokenizers.fromMetadata(bl);
        assertTrue(l3.specialTokens().addBos()); // llama.cpp adds BOS for the Llama 3 pre-tokenizer
        assertTrue(l3.options().ignoreMerges());
        bl.remove(PRE);
        assertEquals("default", ((ByteLevelBpe) GgufTokenizers.fromMetadata(bl)).preTokenizer().family());
    }

    /** A reader may box numbers as anything: uint32 as Long, uint8 as Short, float64 as Double. */
    @Test
    void numbersOfAnyBoxedTypeAreAccepted() {
        Map<String, Object> md = new HashMap<>(GgufTokenizers.toMetadata(Synthetic.SPM));
        md.put(SCORES, ((List<?>) md.get(SCORES)).stream().map(o -> (Object) ((Number) o).doubleValue()).toList());
        md.put(TOKEN_TYPE, ((List<?>) md.get(TOKEN_TYPE)).stream().map(o -> (Object) ((Number) o).shortValue()).toList());
        md.put(BOS, 1L);
        md.put(GgufTokenizers.PADDING, 0xFFFFFFFFL);
        SentencePieceBpe t = (SentencePieceBpe) GgufTokenizers.fromMetadata(md);
        assertArrayEquals(Synthetic.SPM.scores(), t.scores());
        assertEquals(-1, t.specialTokens().padding());
        assertArrayEquals(Synthetic.SPM.encode("abc xy", true, false), t.encode("abc xy", true, false));
    }

    @Test
    void badMetadataIsAClearErrorNamingTheKey() {
        Map<String, Object> good = GgufTokenizers.toMetadata(Synthetic.GPT2);
        assertError(Map.of(), MODEL);
        for (String foreign : List.of("bert", "t5", "rwkv")) {
            Map<String, Object> md = new HashMap<>(good);
            md.put(MODEL, foreign);
            assertError(md, "'" + foreign + "'");
        }
        assertError(with(good, MODEL, "none"), "no vocabulary");
        assertError(without(good, TOKENS), TOKENS);
        assertError(without(good, MERGES), MERGES);
        assertError(with(good, TOKENS, "not a list"), TOKENS);
        assertError(with(good, PRE, "klingon"), PRE);
        assertError(with(good, BOS, 100000), BOS);
        assertError(with(good, ADD_BOS, 1), ADD_BOS);
        assertError(with(good, CHAT_TEMPLATE, 7), CHAT_TEMPLATE);
        List<Object> types = new ArrayList<>((List<?>) good.get(TOKEN_TYPE));
        types.set(5, 9);
        assertError(with(good, TOKEN_TYPE, types), TOKEN_TYPE + "[5]");
        assertError(with(good, TOKEN_TYPE, types.subList(0, 10)), TOKEN_TYPE);
        Map<String, Object> spm = GgufTokenizers.toMetadata(Synthetic.SPM);
        assertError(with(spm, SCORES, List.of(1f, 2f)), SCORES);
        assertError(with(good, MERGES, List.of("Ġ zz")), "zz");
    }

    @Test
    void toMetadataRefusesWhatGgufCannotSay() {
        ByteLevelBpe g = Synthetic.GPT2;
        ByteLevelBpe custom = new ByteLevelBpe(g.vocabulary(), g.merges(), g.specialTokens(),
                PreTokenizer.of(List.of(new PreTokenizer.Stage(PreTokenizer.StageKind.SPLIT, "\\w+"))),
                ByteLevelBpe.Options.DEFAULT, null);
        TandemException e = assertThrows(TandemException.class, () -> GgufTokenizers.toMetadata(custom));
        assertTrue(e.getMessage().contains("pre-tokenizer"), e.getMessage());
        ByteLevelBpe prefix = new ByteLevelBpe(g.vocabulary(), g.merges(), g.specialTokens(), g.preTokenizer(),
                new ByteLevelBpe.Options(false, true, false), null);
        assertThrows(TandemException.class, () -> GgufTokenizers.toMetadata(prefix));
        assertFalse(GgufTokenizers.toMetadata(g).containsKey(SCORES));
    }

    private static Map<String, Object> with(Map<String, Object> md, String key, Object value) {
        Map<String, Object> m = new HashMap<>(md);
        m.put(key, value);
        return m;
    }

    private static Map<String, Object> without(Map<String, Object> md, String key) {
        Map<String, Object> m = new HashMap<>(md);
        m.remove(key);
        return m;
    }

    private static void assertError(Map<String, Object> md, String mention) {
        TandemException e = assertThrows(TandemException.class, () -> GgufTokenizers.fromMetadata(md));
        assertTrue(e.getMessage().contains(mention), "'" + e.getMessage() + "' mentions " + mention);
    }
}
