package dev.tandem.models;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tandem.core.TandemException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.RepetitionInfo;
import org.junit.jupiter.api.Test;

/**
 * Continuous batching is exact: one pass over several sequences' batches (chains, trees, prefill chunks,
 * different cache lengths) gives each sequence bitwise the logits, hidden states and cache of running its
 * batch alone; and sequences decoding concurrently through a {@link ForwardBatcher} get exactly the
 * tokens they get alone.
 */
class MultiSequenceForwardTest extends OnStories260k {
    private static int[] randomTokens(Random rnd, int n) {
        int[] t = new int[n];
        for (int i = 0; i < n; i++) {
            t[i] = 1 + rnd.nextInt(511);
        }
        return t;
    }

    private static Batch randomBatch(Random rnd) {
        int n = 1 + rnd.nextInt(12);
        int[] parents = new int[n];
        boolean chain = rnd.nextBoolean();
        for (int i = 0; i < n; i++) {
            parents[i] = i == 0 ? -1 : chain ? i - 1 : rnd.nextInt(i);
        }
        Batch b = Batch.tree(randomTokens(rnd, n), parents);
        if (chain && rnd.nextInt(3) == 0) {
            b = b.lastLogitsOnly();
        }
        return rnd.nextBoolean() ? b.withHiddenStates() : b;
    }

    /** Two transformers holding the same random prefix: one to batch, one to run alone. */
    private static Transformer[] pair(Random rnd) {
        int[] prefix = randomTokens(rnd, 1 + rnd.nextInt(40));
        Transformer a = new Transformer(model, backend);
        Transformer b = new Transformer(model, backend);
        for (Transformer t : new Transformer[] {a, b}) {
            t.forward(Batch.chain(prefix));
            t.cache().commitChain(prefix.length);
        }
        return new Transformer[] {a, b};
    }

    @RepeatedTest(10)
    void batchedPassEqualsEachSequenceAlone(RepetitionInfo info) {
        Random rnd = new Random(1000 + info.getCurrentRepetition());
        int count = 1 + rnd.nextInt(6);
        Transformer[] batched = new Transformer[count];
        Transformer[] alone = new Transformer[count];
        Batch[] batches = new Batch[count];
        for (int s = 0; s < count; s++) {
            Transformer[] p = pair(rnd);
            batched[s] = p[0];
            alone[s] = p[1];
            batches[s] = randomBatch(rnd);
        }
        ForwardResult[] results = new MultiSequenceForward(model, model.config().layers(), backend).run(batched, batches);
        for (int s = 0; s < count; s++) {
            ForwardResult solo = alone[s].forward(batches[s]);
            ForwardResult r = results[s];
            assertEquals(solo.rows(), r.rows());
            int allRows = java.util.Arrays.stream(batches).mapToInt(Batch::size).sum();
            assertEquals(allRows - batches[s].size(), r.peerRows(), "rows of the other sequences in the pass");
            assertEquals(0, solo.peerRows());
            int first = batches[s].isLastLogitsOnly() ? batches[s].size() - 1 : 0;
            for (int row = first; row < batches[s].size(); row++) {
                assertArrayEquals(solo.logits(row), r.logits(row), "sequence " + s + " row " + row);
                if (batches[s].wantsHiddenStates()) {
                    assertArrayEquals(solo.hiddenState(row), r.hiddenState(row), "hidden, sequence " + s + " row " + row);
                }
            }
            // keep the path to the last row in both caches, then one more token must agree as well
            int[] path = batches[s].mask().path(batches[s].size() - 1);
            batched[s].cache().commit(path);
            alone[s].cache().commit(path);
            assertArrayEquals(alone[s].forward(Batch.chain(7)).logits(0), batched[s].forward(Batch.chain(7)).logits(0),
                    "after commit, sequence " + s);
        }
    }

    @Test
    void aPassMixingModelsIsRefused() {
        Transformer full = new Transformer(model, backend);
        Transformer draft = new Transformer(model, backend, 8, 2);
        MultiSequenceForward f = new MultiSequenceForward(model, model.config().layers(), backend);
        assertThrows(IllegalArgumentException.class,
                () -> f.run(new Transformer[] {full, draft}, new Batch[] {Batch.chain(1), Batch.chain(1)}));
    }

    /** Greedy decoding of {@code steps} tokens after a prompt, one forward per token. */
    private static int[] decode(Transformer t, int[] prompt, int steps) {
        t.cache().reset();
        ForwardResult r = t.forward(Batch.chain(prompt).lastLogitsOnly());
        t.cache().commitChain(prompt.length);
        int[] out = new int[steps];
        int next = r.argmax(prompt.length - 1);
        for (int i = 0; i < steps; i++) {
            out[i] = next;
            // every third step verifies a small tree as speculative methods do, keeping the greedy path
            if (i % 3 == 0) {
                ForwardResult tr = t.forward(Batch.tree(new int[] {next, 5, 9}, new int[] {-1, 0, 0}));
                t.cache().commit(0);
                next = tr.argmax(0);
            } else {
                next = t.forward(Batch.chain(next)).argmax(0);
                t.cache().commit(0);
            }
        }
        return out;
    }

    @org.junit.jupiter.params.ParameterizedTest(name = "{0} lane(s)")
    @org.junit.jupiter.params.provider.ValueSource(ints = {1, 2})
    void concurrentSequencesThroughTheBatcherGetTheirSoloTokens(int lanes) throws Exception {
        Random rnd = new Random(7);
        int sequences = 6;
        List<int[]> prompts = new ArrayList<>();
        List<int[]> expected = new ArrayList<>();
        for (int s = 0; s < sequences; s++) {
            int[] p = randomTokens(rnd, 1 + rnd.nextInt(30));
            p[0] = 1;
            prompts.add(p);
            expected.add(decode(new Transformer(model, backend), p, 60 + 10 * s));
        }
        ForwardBatcher batcher = new ForwardBatcher(backend, 256, Duration.ofMillis(2), lanes);
        List<Future<int[]>> futures = new ArrayList<>();
        try (ExecutorService ex = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int s = 0; s < sequences; s++) {
                int[] p = prompts.get(s);
                int steps = expected.get(s).length;
                futures.add(ex.submit(() -> {
                    try (ForwardBatcher.Membership m = batcher.join()) {
                        return decode(new Transformer(model, backend).batchedBy(batcher), p, steps);
                    }
                }));
            }
            for (int s = 0; s < sequences; s++) {
                assertArrayEquals(expected.get(s), futures.get(s).get(), "sequence " + s);
            }
        }
        ForwardBatcher.Counters c = batcher.counters();
        if (lanes == 1) { // with two lanes passes may well stay small: what counts there is the tokens
            assertTrue(c.meanSequencesPerPass() > 1.5, "passes combined sequences: " + c);
        }
    }

    @Test
    void aSequencePastItsContextFailsAloneInABatchedPass() throws Exception {
        ForwardBatcher batcher = new ForwardBatcher(backend, 256, Duration.ofSeconds(5));
        Transformer full = new Transformer(model, backend).batchedBy(batcher);
        int ctx = model.config().contextLength();
        int[] fill = new int[ctx - 1];
        Arrays.fill(fill, 3);
        for (int s = 0; s < fill.length; s += 64) {
            int n = Math.min(64, fill.length - s);
            full.forward(Batch.chain(Arrays.copyOfRange(fill, s, s + n)));
            full.cache().commitChain(n);
        }
        Transformer fine = new Transformer(model, backend).batchedBy(batcher);
        Transformer fineAlone = new Transformer(model, backend);
        try (ExecutorService ex = Executors.newVirtualThreadPerTaskExecutor();
             ForwardBatcher.Membership a = batcher.join(); ForwardBatcher.Membership b = batcher.join()) {
            Future<?> bad = ex.submit(() -> full.forward(Batch.chain(4, 5)));
            Future<float[]> good = ex.submit(() -> fine.forward(Batch.chain(1, 2)).logits(1));
            Exception e = assertThrows(Exception.class, bad::get);
            assertTrue(e.getCause() instanceof TandemException, e.toString());
            assertTrue(e.getCause().getMessage().contains("context length"), e.getCause().getMessage());
            assertArrayEquals(fineAlone.forward(Batch.chain(1, 2)).logits(1), good.get());
        }
    }
}
