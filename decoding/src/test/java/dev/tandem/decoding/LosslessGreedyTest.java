package dev.tandem.decoding;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tandem.models.Model;
import dev.tandem.models.ModelLoader;
import dev.tandem.models.Transformer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The lossless invariant: at temperature 0 every drafting method, with several draft lengths and tree
 * budgets, produces exactly the tokens of plain autoregressive greedy decoding on every golden prompt
 * (300 new tokens).
 */
class LosslessGreedyTest extends OnStories260k {
    static final int NEW_TOKENS = 300;
    private static Model separateDraft;
    private static final Map<String, int[]> AR = new HashMap<>();

    @BeforeAll
    static void load() throws Exception {
        // a separate file-backed draft model (here: the same weights)
        separateDraft = ModelLoader.load(SHARED.resolve("models/stories260k/stories260K.bin"));
        for (String prompt : prompts()) {
            Generator ar = new AutoregressiveGenerator(new Transformer(model, backend), tokenizer);
            AR.put(prompt, ar.generate(request(prompt), TokenStream.NONE).tokens());
        }
    }

    @AfterAll
    static void close() {
        separateDraft.close();
    }

    static List<String> prompts() throws Exception {
        List<String> out = new ArrayList<>();
        for (Path p : GoldenGenerationTest.golden()) {
            out.add(new com.fasterxml.jackson.databind.ObjectMapper().readTree(p.toFile()).get("prompt").asText());
        }
        return out;
    }

    static GenerationRequest request(String prompt) {
        return new GenerationRequest(tokenizer.encode(prompt, true, false), NEW_TOKENS, SamplingParams.GREEDY);
    }

    static MethodOptions options(int length, int candidates, List<Integer> layers, int budget, String k, boolean separate) {
        return MethodOptions.builder().draftLength(length).lookupCandidates(candidates).draftModels(separate ? List.of(separateDraft) : List.of())
                .draftLayers(layers).treeBudget(budget).kMatrix(k).build();
    }

    static Stream<Arguments> configs() {
        return Stream.of(
                Arguments.of("lookup", "chain of 1", options(1, 1, List.of(), 0, null, false)),
                Arguments.of("lookup", "chain of 4", options(4, 1, List.of(), 0, null, false)),
                Arguments.of("lookup", "default", options(0, 1, List.of(), 0, null, false)),
                Arguments.of("lookup", "tree of 4 matches, 10 deep", options(10, 4, List.of(), 0, null, false)),
                Arguments.of("draft", "layers 1, chain of 3", options(3, 1, List.of(1), 0, null, false)),
                Arguments.of("draft", "layers 4, chain of 6", options(6, 1, List.of(4), 0, null, false)),
                Arguments.of("draft", "layers 4, tree of 16", options(5, 1, List.of(4), 16, null, false)),
                Arguments.of("draft", "layers 3, tree of 40", options(8, 1, List.of(3), 40, null, false)),
                Arguments.of("draft", "separate model file, chain of 5", options(5, 1, List.of(), 0, null, true)),
                Arguments.of("csd", "default", options(0, 1, List.of(), 0, null, false)),
                Arguments.of("csd", "layers 4, k 1,10;0,10", options(12, 1, List.of(4), 0, "1,10;0,10", false)),
                Arguments.of("csd", "layers 4,2 cascade", options(16, 1, List.of(4, 2), 0, "2,2,6;0,1,4;0,0,10", false)),
                Arguments.of("csd", "separate model + layers 2", options(10, 1, List.of(2), 0, null, true)),
                Arguments.of("auto", "router over ar, lookup, draft, csd", options(0, 1, List.of(), 0, null, false)));
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("configs")
    void greedyOutputEqualsAutoregressive(String method, String label, MethodOptions options) throws Exception {
        Generator g = Methods.create(method, new Transformer(model, backend), tokenizer, options);
        long forwards = 0;
        long tokens = 0;
        for (String prompt : prompts()) {
            GenerationResult r = g.generate(request(prompt), TokenStream.NONE);
            assertArrayEquals(AR.get(prompt), r.tokens(), method + " " + label + " on '" + prompt + "'");
            assertTrue(r.stats().lossless());
            forwards += r.stats().targetForwards();
            tokens += r.tokens().length;
        }
        assertEquals(AR.values().stream().mapToInt(a -> a.length).sum(), tokens);
        assertTrue(forwards <= tokens, "never more target steps than tokens");
    }
}
