package dev.tandem.decoding.speculative;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tandem.core.TandemException;
import dev.tandem.decoding.AutoregressiveGenerator;
import dev.tandem.decoding.GenerationRequest;
import dev.tandem.decoding.GenerationResult;
import dev.tandem.decoding.MethodOptions;
import dev.tandem.decoding.Methods;
import dev.tandem.decoding.OnStories260k;
import dev.tandem.decoding.SamplingParams;
import dev.tandem.decoding.TokenStream;
import dev.tandem.decoding.heads.DistillationCorpus;
import dev.tandem.models.Transformer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The n-gram table of a model's own text: its counts, its file, and the {@code ngram} method's losslessness. */
class NgramTest extends OnStories260k {
    private static NgramTable stories;

    @BeforeAll
    static void count() {
        stories = NgramTable.build(DistillationCorpus.texts(new Transformer(model, backend), tokenizer, 20_000, 200, 7,
                new float[] {0f}, n -> {}), model.config().vocabSize(), 8);
    }

    @Test
    void predictsTheMostFrequentNextTokenOfTheLongestKnownContext() {
        NgramTable t = NgramTable.build(List.of(new int[] {1, 2, 3, 4}, new int[] {1, 2, 3, 5}, new int[] {9, 2, 3, 5}), 10, 3);
        long p = t.predict(new int[] {1, 2, 3}, 3); // (1,2,3): 4 once, 5 once: the lower id, trusted 1 / (2 + 1)
        assertEquals(4, NgramTable.token(p));
        assertEquals(1 / 3.0, NgramTable.confidence(p), 1e-4);
        p = t.predict(new int[] {9, 2, 3}, 3);
        assertEquals(5, NgramTable.token(p));
        assertEquals(1 / 2.0, NgramTable.confidence(p), 1e-4);
        p = t.predict(new int[] {7, 2, 3}, 3); // (7,2,3) unseen: backs off to (2,3), 4 once and 5 twice
        assertEquals(5, NgramTable.token(p));
        assertEquals(2 / 4.0, NgramTable.confidence(p), 1e-4);
        p = t.predict(new int[] {0, 0, 1, 2, 3, 0}, 5); // only the context before end counts
        assertEquals(4, NgramTable.token(p));
        assertEquals(-1, t.predict(new int[] {8}, 1), "a token never seen as a context");
        assertEquals(-1, t.predict(new int[] {4}, 1), "a token seen only at the end of a sequence");
        assertEquals(12, t.positions());
    }

    @Test
    void refusesWhatItCannotCount() {
        assertThrows(TandemException.class, () -> NgramTable.build(List.of(new int[] {1, 2}), 10, 0));
        assertThrows(TandemException.class, () -> NgramTable.build(List.of(new int[] {1, 2}), 10, NgramTable.MAX_ORDER + 1));
        TandemException e = assertThrows(TandemException.class, () -> NgramTable.build(List.of(new int[] {1, 12}), 10, 2));
        assertTrue(e.getMessage().contains("token 12"), e.getMessage());
    }

    @Test
    void filesRoundTripAndDamagedOnesAreClearErrors(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("stories.ngram");
        stories.save(file);
        NgramTable back = NgramTable.load(file);
        assertEquals(stories.contexts(), back.contexts());
        assertEquals(stories.positions(), back.positions());
        int[] text = tokenizer.encode("Once upon a time, there was a little girl named Lily. She loved to play outside", true, false);
        for (int end = 1; end <= text.length; end++) {
            assertEquals(stories.predict(text, end), back.predict(text, end), "context ending at " + end);
        }
        byte[] bytes = Files.readAllBytes(file);
        Map<String, byte[]> damaged = new LinkedHashMap<>();
        damaged.put("not an n-gram table", "a text file, not a table".getBytes());
        damaged.put("truncated", Arrays.copyOf(bytes, 20));
        damaged.put("does not match", Arrays.copyOf(bytes, bytes.length - 7));
        byte[] badEntry = bytes.clone();
        Arrays.fill(badEntry, 32, 40, (byte) 0); // first entry's context hash zeroed
        damaged.put("entry 0 is invalid", badEntry);
        for (var d : damaged.entrySet()) {
            Path f = dir.resolve("damaged.ngram");
            Files.write(f, d.getValue());
            TandemException e = assertThrows(TandemException.class, () -> NgramTable.load(f), d.getKey());
            assertTrue(e.getMessage().contains(d.getKey()), e.getMessage());
        }
        TandemException missing = assertThrows(TandemException.class, () -> NgramTable.load(dir.resolve("none.ngram")));
        assertTrue(missing.getMessage().contains("not found"), missing.getMessage());
    }

    /**
     * Chains from the table, sized per step: where rows are free nearly every step drafts and most drafts are
     * accepted, where each row costs a step none does; either way the tokens are plain greedy decoding's.
     */
    @Test
    void sizedChainsDraftWhatTheRowsCostAllowAndStayLossless() {
        GenerationRequest req = new GenerationRequest(tokenizer.encode("Tom and his dog went to the park", true, false), 300,
                SamplingParams.GREEDY);
        int[] ar = new AutoregressiveGenerator(new Transformer(model, backend), tokenizer).generate(req, TokenStream.NONE).tokens();
        Map<String, GenerationResult> runs = new LinkedHashMap<>();
        for (var cost : Map.of("free rows", CostModel.linear(1e-3, 1e-9), "costly rows", CostModel.linear(0, 1e-3)).entrySet()) {
            GenerationResult r = new SpeculativeGenerator("ngram", new Transformer(model, backend), tokenizer,
                    new NgramDrafter(stories, new DraftSizer(cost.getValue(), false)), 8).generate(req, TokenStream.NONE);
            assertArrayEquals(ar, r.tokens(), cost.getKey());
            runs.put(cost.getKey(), r);
        }
        long freeForwards = runs.get("free rows").stats().targetForwards();
        assertTrue(freeForwards < ar.length / 1.5, "drafts from the model's own text pay where rows are free: " + freeForwards
                + " forwards for " + ar.length + " tokens");
        assertEquals(ar.length, runs.get("costly rows").stats().targetForwards(), "no draft where every row costs a step");
    }

    @Test
    void ngramMethodIsLosslessOnEveryGoldenPrompt(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("stories.ngram");
        stories.save(file);
        MethodOptions o = MethodOptions.builder().ngramTable(file).build();
        for (String prompt : List.of("", "Once upon a time, there was a little girl named Lily.", "The sun was shining. Sara wanted to")) {
            GenerationRequest req = new GenerationRequest(tokenizer.encode(prompt, true, false), 200, SamplingParams.GREEDY);
            int[] ar = new AutoregressiveGenerator(new Transformer(model, backend), tokenizer).generate(req, TokenStream.NONE).tokens();
            for (String method : List.of("ngram", "auto")) {
                int[] got = Methods.create(method, new Transformer(model, backend), tokenizer, o).generate(req, TokenStream.NONE).tokens();
                assertArrayEquals(ar, got, method + " on '" + prompt + "'");
            }
        }
    }
}
