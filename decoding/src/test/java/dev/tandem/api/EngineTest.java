package dev.tandem.api;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tandem.core.TandemException;
import dev.tandem.decoding.GenerationRequest;
import dev.tandem.decoding.GenerationResult;
import dev.tandem.decoding.SamplingParams;
import dev.tandem.decoding.StopReason;
import dev.tandem.decoding.TokenStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The embedding API: concurrent generations share one model and batched passes without changing any output. */
class EngineTest {
    static final Path MODEL = Path.of(System.getProperty("tandem.shared", "../shared")).resolve("models/stories260k/stories260K.bin");
    static final List<String> PROMPTS = List.of("Once upon a time, there was a little girl named Lily.",
            "Tom and his dog went to the park", "The sun was shining. Sara wanted to", "Lily and Ben were friends.");
    private static Engine engine;

    @BeforeAll
    static void open() {
        engine = Engine.builder(MODEL).threads(2).batching(true).batchLanes(1).build();
    }

    @AfterAll
    static void close() {
        engine.close();
    }

    record Job(String prompt, String method, float temperature) {
        GenerationRequest request(Engine e) {
            return new GenerationRequest(e.encode(prompt), 80, new SamplingParams(temperature, 0, 1f, 0f, 42));
        }
    }

    @Test
    void concurrentGenerationsOfMixedMethodsEqualTheirSoloRuns() throws Exception {
        List<Job> jobs = new ArrayList<>();
        String[] methods = {"ar", "lookup", "draft", "csd"};
        for (int i = 0; i < 8; i++) {
            jobs.add(new Job(PROMPTS.get(i % PROMPTS.size()), methods[i % methods.length], i < 6 ? 0f : 0.8f));
        }
        List<int[]> solo = new ArrayList<>();
        try (Engine alone = Engine.builder(MODEL).threads(2).batching(false).build()) {
            for (Job j : jobs) {
                solo.add(alone.generate(j.request(alone), j.method(), TokenStream.NONE).tokens());
            }
        }
        long passesBefore = engine.batchCounters().passes();
        long seqsBefore = engine.batchCounters().sequences();
        List<Generation> running = new ArrayList<>();
        for (Job j : jobs) {
            running.add(engine.start(j.request(engine), j.method(), TokenStream.NONE));
        }
        for (int i = 0; i < jobs.size(); i++) {
            GenerationResult r = running.get(i).await();
            assertArrayEquals(solo.get(i), r.tokens(), jobs.get(i) + " batched with the others");
            assertTrue(r.stats().lossless());
        }
        double perPass = (double) (engine.batchCounters().sequences() - seqsBefore) / (engine.batchCounters().passes() - passesBefore);
        assertTrue(perPass > 1.5, "passes combined the generations: " + perPass + " sequences per pass");
        assertEquals(0, engine.running());
    }

    @Test
    void aHandleCancelsARunningGeneration() throws Exception {
        AtomicReference<Generation> handle = new AtomicReference<>();
        CountDownLatch started = new CountDownLatch(1);
        AtomicInteger pieces = new AtomicInteger();
        GenerationRequest request = new GenerationRequest(engine.encode("Once upon a time"), 400, SamplingParams.GREEDY);
        Generation g = engine.start(request, "ar", text -> {
            try {
                started.await();
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
            if (pieces.incrementAndGet() == 5) {
                handle.get().cancel();
            }
        });
        handle.set(g);
        started.countDown();
        GenerationResult r = g.await();
        assertEquals(StopReason.CANCELLED, r.stopReason());
        assertTrue(r.tokens().length >= 5 && r.tokens().length < 400, r.tokens().length + " tokens");
        assertTrue(g.isCancelled() && g.isDone());
    }

    @Test
    void aStreamThatTurnsCancelledStopsABlockingGeneration() {
        AtomicInteger pieces = new AtomicInteger();
        TokenStream stream = new TokenStream() {
            @Override
            public void onText(String text) {
                pieces.incrementAndGet();
            }

            @Override
            public boolean cancelled() {
                return pieces.get() >= 3;
            }
        };
        GenerationResult r = engine.generate(new GenerationRequest(engine.encode("Tom and his dog"), 300, SamplingParams.GREEDY),
                "lookup", stream);
        assertEquals(StopReason.CANCELLED, r.stopReason());
        assertTrue(r.tokens().length < 300);
    }

    @Test
    void aBackendGivenToTheBuilderRunsEveryMethodWithTheSameTokens() {
        try (Engine own = Engine.builder(MODEL).backend(new dev.tandem.core.cpu.CpuBackend(1)).build()) {
            for (String method : List.of("ar", "lookup", "draft", "csd", "auto")) {
                GenerationRequest r = new GenerationRequest(own.encode(PROMPTS.get(0)), 40, SamplingParams.GREEDY);
                assertArrayEquals(engine.generate(r, "ar", TokenStream.NONE).tokens(), own.generate(r, method, TokenStream.NONE).tokens(), method);
            }
            assertEquals(1, own.batchLanes());
        }
    }

    @Test
    void aPublisherStreamsTheSameTextAndCancellingItsSubscriptionStopsTheGeneration() throws Exception {
        GenerationRequest r = new GenerationRequest(engine.encode(PROMPTS.get(1)), 60, SamplingParams.GREEDY);
        String expected = engine.generate(r, "lookup", TokenStream.NONE).text();
        StringBuilder text = new StringBuilder();
        java.util.concurrent.CompletableFuture<Void> done = new java.util.concurrent.CompletableFuture<>();
        engine.publish(r, "lookup").subscribe(new java.util.concurrent.Flow.Subscriber<>() {
            @Override
            public void onSubscribe(java.util.concurrent.Flow.Subscription s) {
                s.request(Long.MAX_VALUE);
            }

            @Override
            public void onNext(String piece) {
                text.append(piece);
            }

            @Override
            public void onError(Throwable t) {
                done.completeExceptionally(t);
            }

            @Override
            public void onComplete() {
                done.complete(null);
            }
        });
        done.get(60, java.util.concurrent.TimeUnit.SECONDS);
        assertEquals(expected, text.toString());

        long before = engine.totals().get("ar") == null ? 0 : engine.totals().get("ar").tokens();
        GenerationRequest longRun = new GenerationRequest(engine.encode(PROMPTS.get(2)), 400, new SamplingParams(0.8f, 0, 1f, 0f, 5));
        CountDownLatch twoPieces = new CountDownLatch(2);
        engine.publish(longRun, "ar").subscribe(new java.util.concurrent.Flow.Subscriber<>() {
            private java.util.concurrent.Flow.Subscription s;

            @Override
            public void onSubscribe(java.util.concurrent.Flow.Subscription s) {
                this.s = s;
                s.request(1);
            }

            @Override
            public void onNext(String piece) {
                twoPieces.countDown();
                if (twoPieces.getCount() == 0) {
                    s.cancel();
                } else {
                    s.request(1);
                }
            }

            @Override
            public void onError(Throwable t) {}

            @Override
            public void onComplete() {}
        });
        assertTrue(twoPieces.await(30, java.util.concurrent.TimeUnit.SECONDS));
        long until = System.nanoTime() + 10_000_000_000L;
        while (engine.running() > 0 && System.nanoTime() < until) {
            Thread.sleep(5);
        }
        assertEquals(0, engine.running(), "the generation stopped when its subscription was cancelled");
        long generated = engine.totals().get("ar").tokens() - before;
        assertTrue(generated < 400, "it stopped early, after " + generated + " of 400 tokens");

        TandemException e = assertThrows(TandemException.class, () -> engine.publish(longRun, "beam"));
        assertTrue(e.getMessage().contains("unknown method"), e.getMessage());
    }

    @Test
    void totalsAndStatsAreReported() {
        long before = engine.totals().getOrDefault("lookup", MethodTotals.ZERO).requests();
        GenerationResult r = engine.generate(new GenerationRequest(engine.encode("Lily and Ben were friends."), 200,
                SamplingParams.GREEDY), "lookup", TokenStream.NONE);
        MethodTotals t = engine.totals().get("lookup");
        assertEquals(before + 1, t.requests());
        assertTrue(t.tokens() >= r.tokens().length && t.targetForwards() > 0 && t.seconds() > 0);
        assertTrue(r.stats().meanAcceptedLength() > 1.0, "lookup accepts drafts: " + r.stats().meanAcceptedLength());
        assertEquals("stories260K", engine.modelId());
        long[] h = r.stats().acceptedHistogram();
        long steps = java.util.Arrays.stream(h).sum();
        long drafted = 0;
        for (int a = 0; a < h.length; a++) {
            drafted += (a + 1) * h[a];
        }
        assertEquals(r.stats().targetForwards() - 1, steps, "one histogram entry per verification step");
        assertTrue(1 + drafted >= r.tokens().length, "the histogram accounts for every token");
    }

    @Test
    void badInputFailsWithAClearError() {
        GenerationRequest ok = new GenerationRequest(engine.encode("Hi"), 10, SamplingParams.GREEDY);
        TandemException unknown = assertThrows(TandemException.class, () -> engine.generate(ok, "beam", TokenStream.NONE));
        assertTrue(unknown.getMessage().contains("unknown method 'beam'"), unknown.getMessage());
        GenerationRequest tooLong = new GenerationRequest(engine.encode("Hi"), engine.contextLength(), SamplingParams.GREEDY);
        TandemException ctx = assertThrows(TandemException.class, () -> engine.start(tooLong, "ar", TokenStream.NONE));
        assertTrue(ctx.getMessage().contains("context length"), ctx.getMessage());
    }

    @Test
    void batchingIsOnByDefaultOnlyWhereReadingWeightsBoundsAPass(@org.junit.jupiter.api.io.TempDir Path dir) {
        try (Engine small = Engine.builder(MODEL).threads(2).build()) {
            assertTrue(!small.batching() && small.batchLanes() == 1, "stories260K stays in cache: independent passes");
        }
        Path wide = dir.resolve("wide.bin"); // 51 MB of weights
        dev.tandem.models.Llama2cWriter.writeRandom(wide,
                new dev.tandem.models.LlamaConfig(512, 1376, 4, 8, 8, 512, 64, 1e-5f, 10000f, true), 3, 0.05f);
        try (Engine big = Engine.builder(wide).tokenizer(MODEL.resolveSibling("tok512.bin")).threads(2).build()) {
            assertTrue(big.batching() && big.batchLanes() == 1, "a model past the caches batches in one lane");
        }
        try (Engine lanes = Engine.builder(MODEL).threads(2).batching(true).build()) {
            assertEquals(2, lanes.batchLanes(), "a cache-resident model batched: one lane per thread");
        }
    }

    @Test
    void aFailingStreamFailsItsGenerationOnly() throws Exception {
        Generation g = engine.start(new GenerationRequest(engine.encode("Hi"), 50, SamplingParams.GREEDY), "ar", text -> {
            throw new IllegalStateException("client went away");
        });
        IllegalStateException e = assertThrows(IllegalStateException.class, g::await);
        assertEquals("client went away", e.getMessage());
        GenerationResult next = engine.generate(new GenerationRequest(engine.encode("Hi"), 20, SamplingParams.GREEDY), "ar",
                TokenStream.NONE);
        assertEquals(20, next.tokens().length);
        assertEquals(0, engine.running());
    }
}
