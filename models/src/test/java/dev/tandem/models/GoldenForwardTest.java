package dev.tandem.models;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tandem.core.cpu.CpuBackend;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** stories260K against the llama2.c reference: tokenizer output and every logit of every position. */
class GoldenForwardTest {
    private static Model model;
    private static Tokenizer tokenizer;
    private static CpuBackend backend;

    @BeforeAll
    static void load() {
        model = ModelLoader.load(Shared.model());
        tokenizer = Llama2cTokenizer.load(Shared.tokenizer(), model.config().vocabSize());
        backend = new CpuBackend(2);
    }

    @AfterAll
    static void close() {
        backend.close();
        model.close();
    }

    static List<Path> golden() {
        return Shared.goldenFiles();
    }

    @ParameterizedTest
    @MethodSource("golden")
    void tokenizerMatchesReference(Path file) {
        JsonNode g = Shared.json(file);
        int[] expected = Shared.ints(g.get("prompt_tokens"));
        assertArrayEquals(expected, tokenizer.encode(g.get("prompt").asText(), true, false));
    }

    @ParameterizedTest
    @MethodSource("golden")
    void batchedForwardMatchesReferenceLogits(Path file) {
        JsonNode g = Shared.json(file);
        int[] fed = Shared.ints(g.get("fed_tokens"));
        Transformer t = new Transformer(model, backend, fed.length);
        ForwardResult r = t.forward(Batch.chain(fed));
        assertLogitsClose(g, r, fed.length, 0);
    }

    @ParameterizedTest
    @MethodSource("golden")
    void tokenByTokenForwardMatchesReferenceLogits(Path file) {
        JsonNode g = Shared.json(file);
        int[] fed = Shared.ints(g.get("fed_tokens"));
        Transformer t = new Transformer(model, backend, 1);
        for (int p = 0; p < fed.length; p++) {
            ForwardResult r = t.forward(Batch.chain(fed[p]));
            assertLogitsClose(g, r, 1, p);
            t.cache().commit(0);
        }
    }

    static void assertLogitsClose(JsonNode g, ForwardResult r, int rows, int firstPosition) {
        for (int row = 0; row < rows; row++) {
            int p = firstPosition + row;
            JsonNode expected = g.get("logits").get(p);
            float[] actual = r.logits(row);
            assertEquals(expected.size(), actual.length);
            float worst = 0;
            for (int i = 0; i < actual.length; i++) {
                worst = Math.max(worst, Math.abs(actual[i] - (float) expected.get(i).asDouble()));
            }
            assertTrue(worst <= 1e-4f, "position " + p + ": max |logit error| " + worst + " > 1e-4");
            assertEquals(g.get("greedy_next").get(p).asInt(), r.argmax(row), "argmax at position " + p);
        }
    }
}
