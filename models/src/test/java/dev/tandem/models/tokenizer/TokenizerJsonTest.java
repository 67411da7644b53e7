package dev.tandem.models.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tandem.core.TandemException;
import dev.tandem.models.Llama2cTokenizer;
import dev.tandem.models.Shared;
import dev.tandem.models.Tokenizer;
import dev.tandem.models.io.Json;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TokenizerJsonTest {
    private static final String SP = Synthetic.SP;

    private static void assertSameTokenizer(BpeTokenizer a, BpeTokenizer b, long seed) {
        assertEquals(a.getClass(), b.getClass());
        assertEquals(a.vocabulary().pieces(), b.vocabulary().pieces());
        assertEquals(a.vocabulary().types(), b.vocabulary().types());
        assertEquals(a.specialTokens(), b.specialTokens());
        assertEquals(a.chatTemplate(), b.chatTemplate());
        Random rnd = new Random(seed);
        for (int i = 0; i < 300; i++) {
            String s = RandomText.next(rnd, 30);
            assertArrayEquals(a.encode(s, true, true), b.encode(s, true, true), s);
        }
    }

    @Test
    void stories260kWritesAndReadsBackIdentically(@TempDir Path dir) throws IOException {
        SentencePieceBpe spm = SentencePieceBpe.fromLlama2c(Shared.tokenizer());
        TokenizerJson.writeFolder(spm, dir);
        BpeTokenizer back = TokenizerJson.read(dir);
        assertInstanceOf(SentencePieceBpe.class, back);
        assertSameTokenizer(spm, back, 1);
        assertEquals(SentencePieceBpe.SpacePrefix.ALWAYS, ((SentencePieceBpe) back).spacePrefix());
        for (Path golden : Shared.goldenFiles()) {
            JsonNode g = Shared.json(golden);
            assertArrayEquals(Shared.ints(g.get("prompt_tokens")), back.encode(g.get("prompt").asText(), true, false));
        }
        // scores come back as -rank: their order over merge-made pieces survives
        SentencePieceBpe s = (SentencePieceBpe) back;
        for (int i = 260; i < 500; i++) {
            if (s.vocabulary().piece(i).length() > 1 && s.vocabulary().piece(i + 1).length() > 1) {
                assertTrue(s.score(i) > s.score(i + 1), "score order at " + i);
            }
        }
        // and writing what was read gives the same file
        Path again = dir.resolve("again.json");
        TokenizerJson.write(back, again);
        assertEquals(Files.readString(dir.resolve("tokenizer.json")), Files.readString(again));
    }

    @Test
    void theWrittenFileHasTheLlama2Form(@TempDir Path dir) throws IOException {
        TokenizerJson.write(Llama2cTokenizer.load(Shared.tokenizer(), 512), dir.resolve("t.json"));
        JsonNode j = Shared.json(dir.resolve("t.json"));
        assertEquals("BPE", j.at("/model/type").asText());
        assertTrue(j.at("/model/byte_fallback").asBoolean());
        assertEquals("Prepend", j.at("/normalizer/normalizers/0/type").asText());
        assertEquals(" ", j.at("/normalizer/normalizers/1/pattern/String").asText());
        assertEquals("<s>", j.at("/post_processor/single/0/SpecialToken/id").asText());
        assertEquals(259, j.at("/model/vocab/he").asInt());
        assertEquals("h e", j.at("/model/merges/0").asText()); // 'he' has the best score
        assertEquals("<unk>", j.at("/model/unk_token").asText());
    }

    @Test
    void byteLevelWritesAndReadsBackIdentically() {
        for (String family : List.of("gpt2", "llama3", "qwen2", "smollm", "default")) {
            ByteLevelBpe t = Synthetic.byteLevel(family).withChatTemplate("{{ messages }}")
                    .withSpecialTokens(new SpecialTokens(264, 266, -1, 265, true, false));
            String json = Json.write(TokenizerJson.toJson(t));
            String config = Json.write(TokenizerJson.configJson(t));
            BpeTokenizer back = TokenizerJson.parse(json, config, family);
            assertSameTokenizer(t, back, 2);
            ByteLevelBpe b = (ByteLevelBpe) back;
            assertEquals(family, b.preTokenizer().family());
            assertEquals(t.merges(), b.merges());
            assertEquals(json, Json.write(TokenizerJson.toJson(back)));
        }
    }

    /** The shape of Meta's Llama 3 tokenizer.json: special tokens only in added_tokens, BOS from a template. */
    @Test
    void readsLlama3Style() {
        Map<String, Object> root = byteLevelSkeleton();
        root.put("pre_tokenizer", Json.parse("""
                {"type": "Sequence", "pretokenizers": [
                  {"type": "Split", "pattern": {"Regex": "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\\\r\\\\n\\\\p{L}\\\\p{N}]?\\\\p{L}+|\\\\p{N}{1,3}| ?[^\\\\s\\\\p{L}\\\\p{N}]+[\\\\r\\\\n]*|\\\\s*[\\\\r\\\\n]+|\\\\s+(?!\\\\S)|\\\\s+"},
                   "behavior": "Isolated", "invert": false},
                  {"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": false}]}"""));
        root.put("post_processor", Json.parse("""
                {"type": "Sequence", "processors": [
                  {"type": "ByteLevel", "add_prefix_space": true, "trim_offsets": false, "use_regex": true},
                  {"type": "TemplateProcessing",
                   "single": [{"SpecialToken": {"id": "<|begin_of_text|>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}],
                   "pair": [], "special_tokens": {}}]}"""));
        model(root).put("ignore_merges", true);
        List<Object> added = new ArrayList<>();
        added.add(Map.of("id", 264, "content", "<|begin_of_text|>", "special", true));
        added.add(Map.of("id", 265, "content", "<|end_of_text|>", "special", true));
        added.add(Map.of("id", 266, "content", "<|eot_id|>", "special", true));
        root.put("added_tokens", added);
        ByteLevelBpe t = (ByteLevelBpe) TokenizerJson.parse(Json.write(root), null, "llama3");
        assertEquals("llama3", t.preTokenizer().family());
        assertTrue(t.options().ignoreMerges());
        assertEquals(264, t.bos());
        assertEquals(265, t.eos()); // no config: guessed from <|end_of_text|>
        assertTrue(t.isEndOfGeneration(266));
        assertArrayEquals(new int[] {264, 'I', '\'', 'M', 263}, asInts(t.encode("I'M in", true, false)));
        assertArrayEquals(new int[] {264, 266, 263}, t.encode("<|eot_id|> in", true, false, true));
    }

    @Test
    void readsQwen2StyleWithConfig() {
        Map<String, Object> root = byteLevelSkeleton();
        root.put("normalizer", Map.of("type", "NFC"));
        root.put("pre_tokenizer", Map.of("type", "Sequence", "pretokenizers", List.of(
                Map.of("type", "Split", "pattern", Map.of("Regex", PreTokenizer.QWEN2_REGEX), "behavior", "Isolated", "invert", false),
                Map.of("type", "ByteLevel", "add_prefix_space", false, "use_regex", false))));
        root.put("added_tokens", List.of(Map.of("id", 264, "content", "<|endoftext|>", "special", true),
                Map.of("id", 265, "content", "<|im_start|>", "special", true),
                Map.of("id", 266, "content", "<|im_end|>", "special", true)));
        String config = """
                {"bos_token": null, "eos_token": "<|im_end|>", "pad_token": "<|endoftext|>",
                 "chat_template": "{% for message in messages %}<|im_start|>...You are a helpful assistant...{% endfor %}"}""";
        ByteLevelBpe t = (ByteLevelBpe) TokenizerJson.parse(Json.write(root), config, "qwen2");
        assertEquals("qwen2", t.preTokenizer().family());
        assertTrue(t.options().nfc());
        assertEquals(-1, t.bos());
        assertEquals(266, t.eos());
        assertEquals(264, t.specialTokens().padding());
        assertArrayEquals(new int[] {'1', '2'}, t.encode("12", true, false));
        assertEquals("chatml", ChatTemplate.detect(t.chatTemplate()).family());
        assertEquals("You are a helpful assistant.", ChatTemplate.detect(t.chatTemplate()).defaultSystem());
    }

    @Test
    void readsSmolLmStyle() {
        Map<String, Object> root = byteLevelSkeleton();
        root.put("pre_tokenizer", Map.of("type", "Sequence", "pretokenizers", List.of(
                Map.of("type", "Digits", "individual_digits", true),
                Map.of("type", "ByteLevel", "add_prefix_space", false, "use_regex", true))));
        ByteLevelBpe t = (ByteLevelBpe) TokenizerJson.parse(Json.write(root), null, "smollm");
        assertEquals("smollm", t.preTokenizer().family());
    }

    /** Llama 2 / TinyLlama: SentencePiece in BPE clothing, merges as pairs here, template list in the config. */
    @Test
    void readsLlama2StyleWithPairMerges() {
        String json = """
                {"version": "1.0", "added_tokens": [
                   {"id": 0, "content": "<unk>", "special": true}, {"id": 1, "content": "<s>", "special": true},
                   {"id": 2, "content": "</s>", "special": true}],
                 "normalizer": {"type": "Sequence", "normalizers": [{"type": "Prepend", "prepend": "▁"},
                   {"type": "Replace", "pattern": {"String": " "}, "content": "▁"}]},
                 "pre_tokenizer": null,
                 "post_processor": {"type": "TemplateProcessing", "single": [{"SpecialToken": {"id": "<s>", "type_id": 0}},
                   {"Sequence": {"id": "A", "type_id": 0}}], "pair": [], "special_tokens": {}},
                 "decoder": {"type": "Sequence", "decoders": []},
                 "model": {"type": "BPE", "unk_token": "<unk>", "byte_fallback": true, "fuse_unk": true,
                   "vocab": {"<unk>": 0, "<s>": 1, "</s>": 2, "<0x41>": 3, "▁": 4, "a": 5, "b": 6, "ab": 7, "▁ab": 8, "▁a": 9},
                   "merges": [["a", "b"], ["▁", "ab"], ["▁", "a"]]}}""";
        String config = """
                {"bos_token": {"__type": "AddedToken", "content": "<s>"}, "eos_token": {"content": "</s>"},
                 "chat_template": [{"name": "tool_use", "template": "x"}, {"name": "default", "template": "[INST] <<SYS>>"}]}""";
        SentencePieceBpe t = (SentencePieceBpe) TokenizerJson.parse(json, config, "llama2");
        assertEquals(SentencePieceBpe.SpacePrefix.ALWAYS, t.spacePrefix());
        assertEquals(TokenType.UNKNOWN, t.vocabulary().type(0));
        assertEquals(TokenType.CONTROL, t.vocabulary().type(1));
        assertEquals(TokenType.BYTE, t.vocabulary().type(3));
        assertEquals(1, t.bos());
        assertEquals(2, t.eos());
        assertEquals("llama2", ChatTemplate.detect(t.chatTemplate()).family());
        // ▁ a b a: "a b" (rank 0) first, then ▁+ab (rank 1), leaving a: ▁ab a
        assertArrayEquals(new int[] {1, 8, 5}, t.encode("aba", true, false));
        assertArrayEquals(new int[] {1, 9, 3}, t.encode("aA", true, false)); // A has no piece: <0x41>
    }

    @Test
    void readsMetaspaceForm() {
        String json = """
                {"normalizer": null,
                 "pre_tokenizer": {"type": "Metaspace", "replacement": "▁", "prepend_scheme": "first", "split": false},
                 "model": {"type": "BPE", "byte_fallback": true, "vocab": {"<s>": 0, "▁": 1, "a": 2, "▁a": 3},
                   "merges": ["▁ a"]},
                 "added_tokens": [{"id": 0, "content": "<s>", "special": true}]}""";
        SentencePieceBpe t = (SentencePieceBpe) TokenizerJson.parse(json, null, "metaspace");
        assertEquals(SentencePieceBpe.SpacePrefix.FIRST, t.spacePrefix());
        assertArrayEquals(new int[] {3, 0, 2}, t.encode("a<s>a", false, false, true));
    }

    @Test
    void unsupportedOrBrokenFilesAreClearErrors() {
        assertError("{\"model\": {\"type\": \"Unigram\", \"vocab\": []}}", "Unigram");
        assertError("{\"model\": {\"type\": \"WordPiece\", \"vocab\": {}}}", "WordPiece");
        Map<String, Object> root = byteLevelSkeleton();
        root.put("pre_tokenizer", Map.of("type", "Whitespace"));
        assertError(Json.write(root), "Whitespace");
        root.put("pre_tokenizer", Map.of("type", "Split", "pattern", Map.of("Regex", "x"), "behavior", "Removed"));
        assertError(Json.write(root), "Removed");
        root.put("pre_tokenizer", null);
        assertError(Json.write(root), "neither byte-level");
        root = byteLevelSkeleton();
        model(root).put("merges", List.of("Ġ q"));
        assertError(Json.write(root), "Ġq");
        root = byteLevelSkeleton();
        root.put("added_tokens", List.of(Map.of("id", 3, "content", "<x>", "special", true)));
        assertError(Json.write(root), "added token 3");
        root = byteLevelSkeleton();
        root.put("added_tokens", List.of(Map.of("id", 300, "content", "<x>", "special", true)));
        assertError(Json.write(root), "no token has the id 264");
        assertError(Json.write(byteLevelSkeleton()).replace("\"vocab\": {", "\"vocab\": {\"dup\": 5,"), "id 5");
        assertError("{\"model\": ", "malformed JSON");
        TandemException e = assertThrows(TandemException.class,
                () -> TokenizerJson.parse(Json.write(byteLevelSkeleton()), "{\"bos_token\": \"<nope>\"}", "cfg"));
        assertTrue(e.getMessage().contains("<nope>"), e.getMessage());
        e = assertThrows(TandemException.class, () -> TokenizerJson.read(Path.of("/nonexistent/tokenizer.json")));
        assertTrue(e.getMessage().contains("not found"), e.getMessage());
    }

    private static void assertError(String json, String mention) {
        TandemException e = assertThrows(TandemException.class, () -> TokenizerJson.parse(json, null, "t.json"));
        assertTrue(e.getMessage().contains(mention) && e.getMessage().startsWith("t.json"), e.getMessage());
    }

    @Test
    void tokenizersLoadPicksTheReaderAndFitsTheVocabulary(@TempDir Path dir) throws IOException {
        TokenizerJson.writeFolder(Synthetic.GPT2, dir);
        Tokenizer fromFolder = Tokenizers.load(dir, 300);
        assertEquals(300, fromFolder.vocabSize());
        assertInstanceOf(ByteLevelBpe.class, Tokenizers.load(dir.resolve("tokenizer.json"), 0));
        assertEquals(268, Tokenizers.load(dir.resolve("tokenizer.json"), 0).vocabSize());
        TandemException e = assertThrows(TandemException.class, () -> Tokenizers.load(dir, 100));
        assertTrue(e.getMessage().contains("268 tokens"), e.getMessage());
        assertInstanceOf(Llama2cTokenizer.class, Tokenizers.load(Shared.tokenizer(), 512));
        e = assertThrows(TandemException.class, () -> Tokenizers.load(Path.of("model.gguf"), 0));
        assertTrue(e.getMessage().contains("--model"), e.getMessage());
        e = assertThrows(TandemException.class, () -> Tokenizers.load(dir.resolve("sub").toAbsolutePath().getParent().getParent(), 0));
        assertTrue(e.getMessage().contains("no tokenizer.json"), e.getMessage());
    }

    /** A GPT-2-style file for the synthetic byte-level vocabulary; tests change parts of it. */
    private static Map<String, Object> byteLevelSkeleton() {
        ByteLevelBpe g = Synthetic.GPT2;
        Map<String, Object> vocab = new LinkedHashMap<>();
        for (int i = 0; i < 264; i++) { // the bytes and the merged pieces, not the special tokens
            vocab.put(g.vocabulary().piece(i), i);
        }
        List<Object> merges = new ArrayList<>();
        g.merges().forEach(m -> merges.add(m.toString()));
        Map<String, Object> model = new LinkedHashMap<>();
        model.put("type", "BPE");
        model.put("vocab", vocab);
        model.put("merges", merges);
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("normalizer", null);
        root.put("pre_tokenizer", Map.of("type", "ByteLevel", "add_prefix_space", false, "use_regex", true));
        root.put("decoder", Map.of("type", "ByteLevel"));
        root.put("model", model);
        return root;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> model(Map<String, Object> root) {
        return (Map<String, Object>) root.get("model");
    }

    private static int[] asInts(int[] a) {
        return a;
    }
}
