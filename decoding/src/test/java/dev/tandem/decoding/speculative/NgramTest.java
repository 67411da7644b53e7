package dev.tandem.decoding.speculative;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
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
        NgramTable.Successors s = t.successors(new int[] {1, 2, 3}, 3, 1); // (1,2,3): 4 once, 5 once: the lower id first
        assertEquals(4, s.tokens()[0]);
        assertEquals(1 / 3.0, s.confidence(0), 1e-4, "trusted count / (total + 1)");
        s = t.successors(new int[] {9, 2, 3}, 3, 1);
        assertEquals(5, s.tokens()[0]);
        assertEquals(1 / 2.0, s.confidence(0), 1e-4);
        s = t.successors(new int[] {7, 2, 3}, 3, 1); // (7,2,3) unseen: backs off to (2,3), 4 once and 5 twice
        assertEquals(5, s.tokens()[0]);
        assertEquals(2 / 4.0, s.confidence(0), 1e-4);
        assertEquals(4, t.successors(new int[] {0, 0, 1, 2, 3, 0}, 5, 1).tokens()[0], "only the context before end counts");
        assertNull(t.successors(new int[] {8}, 1, 1), "a token never seen as a context");
        assertNull(t.successors(new int[] {4}, 1, 1), "a token seen only at the end of a sequence");
        assertEquals(12, t.positions());
    }

    @Test
    void keepsTheMostFrequentSuccessorsAndBacksOffToAContextSeenOftenEnough() {
        NgramTable t = NgramTable.build(List.of(new int[] {1, 2, 3, 4}, new int[] {1, 2, 3, 5}, new int[] {9, 2, 3, 5},
                new int[] {8, 3, 6}, new int[] {8, 3, 7}, new int[] {7, 3, 6}), 10, 3);
        NgramTable.Successors s = t.successors(new int[] {1, 2, 3}, 3, 1); // (1,2,3): 4 once, 5 once
        assertArrayEquals(new int[] {4, 5}, s.tokens(), "equal counts: the lower id first");
        assertArrayEquals(new int[] {1, 1}, s.counts());
        assertEquals(2, s.total());
        s = t.successors(new int[] {1, 2, 3}, 3, 3); // (1,2,3) seen twice, (2,3) three times: 5 twice, 4 once
        assertArrayEquals(new int[] {5, 4}, s.tokens());
        assertArrayEquals(new int[] {2, 1}, s.counts());
        s = t.successors(new int[] {1, 2, 3}, 3, 100); // none seen 100 times: the longest known
        assertEquals(2, s.total());
        s = t.successors(new int[] {3}, 1, 1); // (3): 4, 5, 5, 6, 7, 6
        assertArrayEquals(new int[] {5, 6, 4, 7}, s.tokens());
        assertArrayEquals(new int[] {2, 2, 1, 1}, s.counts());
        assertEquals(6, s.total());
        assertEquals(null, t.successors(new int[] {0}, 1, 1), "a token never seen as a context");
        assertEquals(5, t.successors(new int[] {3}, 1, 1).tokens()[0], "the most frequent successor first");
    }

    @Test
    void aNewGenerationForgetsHowBadlyTheLastTextWasPredicted() {
        NgramTable t = NgramTable.build(List.of(new int[] {1, 2, 3, 4}, new int[] {1, 2, 3, 4}), 10, 3);
        NgramDrafter d = new NgramDrafter(t, new DraftSizer(CostModel.linear(1e-3, 0.5e-3), true));
        TokenHistory h = new TokenHistory(new int[] {1, 2, 3});
        DraftTree tree = d.propose(h, 1, null);
        assertEquals(1, tree.size(), "(1, 2, 3) was always followed by 4: worth a row");
        for (int i = 0; i < 500 && tree.size() > 0; i++) { // a text where that never holds
            d.verified(tree, 0, 2_000_000, 0);
            tree = d.propose(h, 1, null);
        }
        assertEquals(0, tree.size(), "drafts the target keeps rejecting stop being verified");
        d.reset(h);
        assertEquals(1, d.propose(h, 1, null).size(), "on a new text the table is trusted again");
    }

    /**
     * Greedy drafts are trees grown best-first: where the table is sure of the next token they are its chain, where it
     * is not the runner-up is a sibling, and the sizer keeps a best-first prefix, so every kept node's parent is kept.
     */
    @Test
    void greedyDraftsBranchWhereTheTableIsUnsure() {
        // after (1, 2): 3 always; after (2, 3): 4 three times, 5 twice; after (3, 4) and (3, 5): 6 always
        NgramTable t = NgramTable.build(List.of(new int[] {1, 2, 3, 4, 6}, new int[] {1, 2, 3, 4, 6}, new int[] {1, 2, 3, 4, 6},
                new int[] {1, 2, 3, 5, 6}, new int[] {1, 2, 3, 5, 6}), 10, 2);
        NgramDrafter free = new NgramDrafter(t, new DraftSizer(CostModel.linear(1e-3, 1e-9), false));
        DraftTree tree = free.propose(new TokenHistory(new int[] {1, 2}), 4, null);
        // confidence = count / (total + 1): 3 5/6, 4 5/6 x 3/6, 6 after 4 5/6 x 3/6 x 3/4, 5 5/6 x 2/6
        assertArrayEquals(new int[] {3, 4, 6, 5}, tree.tokens(), "best first");
        assertArrayEquals(new int[] {-1, 0, 1, 0}, tree.parents(), "4 and 5 are siblings below 3");
        NgramDrafter costly = new NgramDrafter(t, new DraftSizer(CostModel.linear(0, 1e-3), false));
        assertEquals(0, costly.propose(new TokenHistory(new int[] {1, 2}), 4, null).size(), "no row is worth a step's cost");
        NgramDrafter sure = new NgramDrafter(NgramTable.build(List.of(new int[] {1, 2, 3, 4}, new int[] {1, 2, 3, 4}), 10, 2),
                new DraftSizer(CostModel.linear(1e-3, 1e-9), false));
        tree = sure.propose(new TokenHistory(new int[] {1, 2}), 4, null);
        assertArrayEquals(new int[] {3, 4}, tree.tokens(), "one successor each: a chain");
        assertArrayEquals(new int[] {-1, 0}, tree.parents());
        // (1,2,3) seen once, followed by 9; (2,3) seen six times, five of them followed by 4
        List<int[]> texts = new java.util.ArrayList<>(List.of(new int[] {1, 2, 3, 9}));
        for (int i = 0; i < 5; i++) {
            texts.add(new int[] {5, 2, 3, 4});
        }
        NgramDrafter backsOff = new NgramDrafter(NgramTable.build(texts, 10, 3), new DraftSizer(CostModel.linear(1e-3, 1e-9), false));
        assertEquals(4, backsOff.propose(new TokenHistory(new int[] {1, 2, 3}), 1, null).token(0),
                "a context seen once gives way to a shorter one seen at least " + NgramDrafter.GREEDY_MIN_TOTAL + " times");
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
            assertEquals(describe(stories.successors(text, end, 1)), describe(back.successors(text, end, 1)), "context ending at " + end);
        }
        byte[] bytes = Files.readAllBytes(file);
        Map<String, byte[]> damaged = new LinkedHashMap<>();
        damaged.put("not an n-gram table", "a text file, not a table".getBytes());
        damaged.put("truncated", Arrays.copyOf(bytes, 20));
        damaged.put("truncated n-gram table", Arrays.copyOf(bytes, bytes.length - 7));
        byte[] tooMany = bytes.clone();
        java.nio.ByteBuffer.wrap(tooMany).putInt(28, Integer.MAX_VALUE / 32); // entry count beyond what the bytes hold
        damaged.put("does not match", tooMany);
        damaged.put("bytes follow", Arrays.copyOf(bytes, bytes.length + 3));
        byte[] foreignVersion = bytes.clone();
        java.nio.ByteBuffer.wrap(foreignVersion).putInt(8, 9);
        damaged.put("version 9", foreignVersion);
        byte[] badEntry = bytes.clone();
        Arrays.fill(badEntry, 32, 40, (byte) 0); // first entry's context hash zeroed
        damaged.put("entry 0 is invalid", badEntry);
        for (var d : damaged.entrySet()) {
            Path f = dir.resolve("damaged.ngram");
            Files.write(f, d.getValue());
            TandemException e = assertThrows(TandemException.class, () -> NgramTable.load(f), d.getKey());
            assertTrue(e.getMessage().contains(d.getKey()), e.getMessage());
        }
        byte[] badCounts = bytes.clone(); // first entry: total, kept, then the first successor's token and count
        java.nio.ByteBuffer.wrap(badCounts).putInt(32 + 8 + 4 + 1 + 4, Integer.MAX_VALUE);
        Path f = dir.resolve("counts.ngram");
        Files.write(f, badCounts);
        TandemException counts = assertThrows(TandemException.class, () -> NgramTable.load(f));
        assertTrue(counts.getMessage().contains("entry 0 is invalid"), "successors counting more than the context: " + counts.getMessage());
        TandemException missing = assertThrows(TandemException.class, () -> NgramTable.load(dir.resolve("none.ngram")));
        assertTrue(missing.getMessage().contains("not found"), missing.getMessage());
    }

    /** Tables written before successors were kept (version 1: one next token per context) still load and predict. */
    @Test
    void versionOneFilesStillLoad(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("v1.ngram");
        NgramTable t = NgramTable.build(List.of(new int[] {1, 2, 3, 4}, new int[] {1, 2, 3, 5}, new int[] {9, 2, 3, 5}), 10, 3);
        try (var out = new java.io.DataOutputStream(Files.newOutputStream(file))) {
            out.writeLong(0x544E444D4E47524DL);
            out.writeInt(1);
            out.writeInt(10);
            out.writeInt(3);
            out.writeLong(12);
            out.writeInt(1);
            out.writeLong(NgramTable.hash(new int[] {2, 3}, 2, 2)); // (2,3): 5 twice of 3
            out.writeInt(5);
            out.writeInt(2);
            out.writeInt(3);
        }
        NgramTable v1 = NgramTable.load(file);
        assertEquals(1, v1.contexts());
        NgramTable.Successors full = t.successors(new int[] {7, 2, 3}, 3, 1), one = v1.successors(new int[] {7, 2, 3}, 3, 1);
        assertEquals(full.tokens()[0], one.tokens()[0], "the same most frequent successor");
        assertEquals(full.confidence(0), one.confidence(0), "trusted as much");
        NgramTable.Successors s = v1.successors(new int[] {2, 3}, 2, 1);
        assertArrayEquals(new int[] {5}, s.tokens());
        assertEquals(3, s.total());
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

    /** A context's successors as text, for equality: tokens, counts and total. */
    private static String describe(NgramTable.Successors s) {
        return s == null ? "none" : Arrays.toString(s.tokens()) + Arrays.toString(s.counts()) + s.total();
    }
}
