package dev.tandem.decoding;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tandem.models.TextStream;
import dev.tandem.models.Transformer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Greedy generation reproduces the llama2.c reference's tokens and text on every golden prompt. */
class GoldenGenerationTest extends OnStories260k {
    static List<Path> golden() throws IOException {
        try (Stream<Path> s = Files.list(SHARED.resolve("golden/stories260k"))) {
            return s.filter(p -> p.toString().endsWith(".json")).sorted().toList();
        }
    }

    static int[] ints(JsonNode a) {
        int[] out = new int[a.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = a.get(i).asInt();
        }
        return out;
    }

    @ParameterizedTest
    @MethodSource("golden")
    void greedyMatchesReference(Path file) throws IOException {
        JsonNode g = new ObjectMapper().readTree(file.toFile());
        int[] prompt = tokenizer.encode(g.get("prompt").asText(), true, false);
        int[] expected = ints(g.get("generated_tokens"));
        StringBuilder streamed = new StringBuilder();
        Generator ar = new AutoregressiveGenerator(new Transformer(model, backend), tokenizer);
        GenerationResult r = ar.generate(new GenerationRequest(prompt, expected.length, SamplingParams.GREEDY), streamed::append);

        assertArrayEquals(expected, r.tokens());
        assertEquals(StopReason.LENGTH, r.stopReason());
        assertEquals(expected.length, r.stats().targetForwards());
        assertEquals(1.0, r.stats().meanAcceptedLength(), 1e-12);
        assertEquals(r.text(), streamed.toString(), "streamed text equals the final text");
        // run.c prints the prompt's pieces after BOS, then the continuation
        String promptText = TextStream.decodeAll(tokenizer, prompt[0], Arrays.copyOfRange(prompt, 1, prompt.length));
        assertEquals(g.get("text").asText(), promptText + r.text());
    }
}
