package dev.tandem.models.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tandem.models.Llama2cTokenizer;
import dev.tandem.models.RandomText;
import dev.tandem.models.Shared;
import dev.tandem.models.TextStream;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * stories260K's vocabulary three ways: llama2.c's tokenizer, the SentencePiece form built from it, and the
 * SentencePiece metadata llama.cpp's own converter wrote into stories260K-llamacpp.gguf. All must agree.
 */
class Stories260kTokenizerTest {
    private static final Llama2cTokenizer LLAMA2C = Llama2cTokenizer.load(Shared.tokenizer(), 512);
    private static final SentencePieceBpe SPM = SentencePieceBpe.fromLlama2c(Shared.tokenizer());
    private static final Path GGUF = Shared.root().resolve("models/stories260k/stories260K-llamacpp.gguf");

    @Test
    void encodesTheGoldenPromptsExactly() {
        for (Path golden : Shared.goldenFiles()) {
            JsonNode g = Shared.json(golden);
            String prompt = g.get("prompt").asText();
            int[] expected = Shared.ints(g.get("prompt_tokens"));
            assertArrayEquals(expected, SPM.encode(prompt, true, false), golden.toString());
            String back = TextStream.decodeAll(SPM, expected[0], Arrays.copyOfRange(expected, 1, expected.length));
            assertEquals(prompt, back, golden.toString());
        }
    }

    @Test
    void agreesWithTheLlama2cTokenizerOnRandomText() {
        Random rnd = new Random(260);
        String common = "the a and was to he she it . , ! Lily Tom park";
        for (int t = 0; t < 300; t++) {
            String text = RandomText.draw(rnd, rnd.nextInt(40), List.of(r -> " ", r -> Character.toString(0x00C0 + r.nextInt(0x100)),
                    r -> Character.toString(0x1F600 + r.nextInt(50))), common, 2);
            int[] ids = LLAMA2C.encode(text, true, false);
            assertArrayEquals(ids, SPM.encode(text, true, false), "'" + text + "'");
            int[] tail = Arrays.copyOfRange(ids, 1, ids.length);
            assertEquals(TextStream.decodeAll(LLAMA2C, 1, tail), TextStream.decodeAll(SPM, 1, tail));
        }
    }

    @Test
    void metadataIsWhatLlamaCppsConverterWrote() {
        Map<String, Object> theirs = GgufMetadata.read(GGUF);
        Map<String, Object> ours = GgufTokenizers.toMetadata(LLAMA2C);
        assertEquals(theirs.get(GgufTokenizers.MODEL), ours.get(GgufTokenizers.MODEL));
        assertEquals(theirs.get(GgufTokenizers.TOKENS), ours.get(GgufTokenizers.TOKENS));
        assertEquals(floats(theirs.get(GgufTokenizers.SCORES)), floats(ours.get(GgufTokenizers.SCORES)));
        assertEquals(ints(theirs.get(GgufTokenizers.TOKEN_TYPE)), ints(ours.get(GgufTokenizers.TOKEN_TYPE)));
        for (String key : List.of(GgufTokenizers.BOS, GgufTokenizers.EOS, GgufTokenizers.UNKNOWN)) {
            assertEquals(((Number) theirs.get(key)).intValue(), ((Number) ours.get(key)).intValue(), key);
        }
    }

    @Test
    void theLlamaCppGgufTokenizerEncodesTheGoldenPrompts() {
        BpeTokenizer t = GgufTokenizers.fromMetadata(GgufMetadata.read(GGUF));
        assertEquals(-1, t.specialTokens().padding()); // 0xFFFFFFFF means none
        for (Path golden : Shared.goldenFiles()) {
            JsonNode g = Shared.json(golden);
            assertArrayEquals(Shared.ints(g.get("prompt_tokens")), t.encode(g.get("prompt").asText(), true, false));
        }
    }

    private static List<Float> floats(Object list) {
        return ((List<?>) list).stream().map(o -> ((Number) o).floatValue()).toList();
    }

    private static List<Integer> ints(Object list) {
        return ((List<?>) list).stream().map(o -> ((Number) o).intValue()).toList();
    }
}
