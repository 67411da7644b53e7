package dev.tandem.api;

import dev.tandem.core.Backend;
import dev.tandem.core.TandemException;
import dev.tandem.core.cpu.CpuBackend;
import dev.tandem.decoding.GenerationRequest;
import dev.tandem.decoding.GenerationResult;
import dev.tandem.decoding.Generator;
import dev.tandem.decoding.MethodOptions;
import dev.tandem.decoding.Methods;
import dev.tandem.decoding.TokenStream;
import dev.tandem.models.ForwardBatcher;
import dev.tandem.models.Model;
import dev.tandem.models.ModelLoader;
import dev.tandem.models.Tokenizer;
import dev.tandem.models.tokenizer.TokenBudget;
import dev.tandem.models.Transformer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.Flow;
import java.util.concurrent.SubmissionPublisher;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Tandem embedded in a JVM program: loads a model once and runs any number of generations on it, from any
 * number of threads. Weights are shared (memory-mapped once); each running generation has its own KV
 * cache. With batching on (the default for models over 32 MB), concurrent generations decode together: their forward passes,
 * draft trees included, are combined into one pass per step, which is bitwise what each would compute
 * alone, so every method stays lossless.
 *
 * <pre>{@code
 * try (Engine engine = Engine.open(Path.of("stories260K.bin"))) {
 *     GenerationRequest request = new GenerationRequest(engine.encode("Once upon a time"), 64, SamplingParams.GREEDY);
 *     Generation g = engine.start(request, "lookup", text -> System.out.print(text));
 *     GenerationResult r = g.await();          // or g.cancel()
 *     System.out.println(r.stats().tokensPerSecond());
 * }
 * }</pre>
 *
 * Thread-safe. Generators (and their caches) are pooled per method and reused, so a method's set-up cost
 * (the router's calibration, loading heads) is paid once per concurrent slot, not per request.
 */
public final class Engine implements AutoCloseable {
    private final Model model;
    private final Tokenizer tokenizer;
    private final Backend backend;
    private final ForwardBatcher batcher;
    private final MethodOptions options;
    private final int maxBatch;
    private final int lanes;
    private final Map<String, ConcurrentLinkedDeque<Generator>> idle = new ConcurrentHashMap<>();
    private final Map<String, MethodTotals> totals = new ConcurrentHashMap<>();
    private final AtomicInteger running = new AtomicInteger();
    private final AtomicBoolean closed = new AtomicBoolean();
    private final TokenBudget budget;

    private Engine(Builder b) {
        Model m = ModelLoader.load(b.model, b.contextSize);
        try {
            this.tokenizer = dev.tandem.models.tokenizer.Tokenizers.forModel(m, b.tokenizer);
        } catch (RuntimeException e) {
            m.close();
            throw e;
        }
        this.model = m;
        this.budget = TokenBudget.of(tokenizer);
        boolean small = isSmall(m);
        boolean batching = b.batching != null ? b.batching : !small;
        // a backend given by the caller runs one pass at a time unless told otherwise
        int lanes = !batching ? 1 : b.lanes > 0 ? b.lanes : small && b.backend == null ? b.threads : 1;
        // with several lanes the cores are shared out between passes, so each pass runs on its own thread:
        // a pass that split its matmuls over a pool would spin waiting for a worker another lane holds
        this.backend = b.backend != null ? b.backend : new CpuBackend(lanes > 1 ? 1 : b.threads);
        this.batcher = batching ? new ForwardBatcher(backend, b.maxBatchRows, b.batchWait, lanes, b.prefillChunk) : null;
        this.lanes = lanes;
        this.options = b.options;
        this.maxBatch = Transformer.DEFAULT_MAX_BATCH;
    }

    /** An engine on {@code modelFile} with the defaults (tokenizer beside the model, all cores, batching by model size). */
    public static Engine open(Path modelFile) {
        return builder(modelFile).build();
    }

    public static Builder builder(Path modelFile) {
        return new Builder(modelFile);
    }

    /** Settings of an {@link Engine}. */
    public static final class Builder {
        private final Path model;
        private Path tokenizer;
        private int threads = Runtime.getRuntime().availableProcessors();
        private Boolean batching; // null: on for models whose passes are bound by reading weights
        private Duration batchWait = Duration.ofMillis(2);
        private int maxBatchRows = 512;
        private int prefillChunk = ForwardBatcher.DEFAULT_PREFILL_ROWS;
        private int lanes;
        private MethodOptions options = MethodOptions.defaults();
        private int contextSize;
        private Backend backend;

        private Builder(Path model) {
            this.model = model;
        }

        /** Tokenizer file (default: the model's own, else tokenizer.bin, tok&lt;vocab&gt;.bin or tokenizer.json beside it). */
        public Builder tokenizer(Path file) {
            this.tokenizer = file;
            return this;
        }

        /**
         * The backend every forward pass runs on (default: the CPU backend with {@link #threads} threads); the
         * engine owns it from here and closes it. Decoding reaches it only through {@link Backend}.
         */
        public Builder backend(Backend backend) {
            this.backend = java.util.Objects.requireNonNull(backend, "backend");
            return this;
        }

        /** Positions the KV cache holds, at most the model's context length; 0 (the default): the model's. */
        public Builder contextSize(int n) {
            check(n >= 0, "the context size must be >= 0 (0: the model's), got " + n);
            this.contextSize = n;
            return this;
        }

        /** CPU worker threads (default: all processors). */
        public Builder threads(int n) {
            check(n >= 1 && n <= 1024, "threads must be between 1 and 1024, got " + n);
            this.threads = n;
            return this;
        }

        /**
         * Whether concurrent generations share batched forward passes. Default: on for models over 32 MB,
         * whose passes are bound by reading the weights (a pass over 8 rows costs about 3 rows' time on this
         * CPU for a 400 MB model); off for cache-resident models such as stories260K, where rows cost the
         * same batched or apart and independent passes on every core are faster (measured: docs/MEASUREMENTS.md).
         */
        public Builder batching(boolean on) {
            this.batching = on;
            return this;
        }

        /**
         * Longest a step waits for the other running generations to join its pass (default 2 ms; it waits a
         * quarter of a recent pass, up to this); a pass starts at once when all of them are waiting.
         */
        public Builder batchWait(Duration wait) {
            check(!wait.isNegative(), "batch wait must be >= 0, got " + wait);
            this.batchWait = wait;
            return this;
        }

        /**
         * Batched passes that may run at once, each over its share of the running generations, each on one
         * thread. Default: one lane per thread for models up to 32 MB (their weights stay in cache, so a
         * pass's rows cost about what they cost apart and the gain is in keeping every core busy); one lane
         * with all threads splitting its matmuls for larger models (where reading the weights once for all
         * rows is the gain).
         */
        public Builder batchLanes(int n) {
            check(n >= 1, "batch lanes must be >= 1, got " + n);
            this.lanes = n;
            return this;
        }

        /** Most rows in one batched pass (default 512). */
        public Builder maxBatchRows(int rows) {
            check(rows >= Transformer.DEFAULT_MAX_BATCH, "max batch rows must be >= " + Transformer.DEFAULT_MAX_BATCH + ", got " + rows);
            this.maxBatchRows = rows;
            return this;
        }

        /**
         * With batching, the most prompt tokens one forward pass takes from a request while other requests are
         * decoding (default {@value ForwardBatcher#DEFAULT_PREFILL_ROWS}): a new request's prompt then goes in
         * small chunks between their steps instead of stalling each of them for one long pass. A request alone
         * takes its prompt in chunks of up to 64.
         */
        public Builder prefillChunk(int rows) {
            check(rows >= 1, "the prefill chunk must be >= 1 token, got " + rows);
            this.prefillChunk = rows;
            return this;
        }

        /** Settings of the drafting methods (draft models, heads file, tree budget...). */
        public Builder methodOptions(MethodOptions o) {
            this.options = o;
            return this;
        }

        /** Loads the model and tokenizer; a bad file fails here with a {@link TandemException}. */
        public Engine build() {
            return new Engine(this);
        }

        /** A setting out of range fails when it is set, with a message that names it and what it got. */
        private static void check(boolean ok, String message) {
            if (!ok) {
                throw new TandemException(message);
            }
        }
    }

    /** Models up to this size are compute-bound on a CPU (their weights stay in cache): one lane per core. */
    static final long SMALL_MODEL_BYTES = 32L << 20;

    private static boolean isSmall(Model m) {
        try {
            return Files.size(m.path()) <= SMALL_MODEL_BYTES;
        } catch (java.io.IOException e) {
            return false;
        }
    }

    /** Batched passes that may run at once (1 when batching is off). */
    public int batchLanes() {
        return lanes;
    }

    /** The model's id: its file name without the extension (e.g. {@code stories260K}). */
    public String modelId() {
        return model.name();
    }

    public Model model() {
        return model;
    }

    public Tokenizer tokenizer() {
        return tokenizer;
    }

    public int contextLength() {
        return model.config().contextLength();
    }

    /** {@code text} as prompt tokens, BOS first; a text too long for the context is refused before tokenizing. */
    public int[] encode(String text) {
        requireFits(text);
        return tokenizer.encode(text, true, false);
    }

    /**
     * Refuses, in time linear in its length and without tokenizing, a prompt text that cannot fit the
     * context whatever its tokens (each token stands for at most the longest piece's bytes).
     */
    public void requireFits(CharSequence text) {
        long min = budget.minTokens(text);
        if (min >= contextLength()) {
            throw new ContextLengthExceeded(min, true, contextLength());
        }
    }

    /** Generations running now. */
    public int running() {
        return running.get();
    }

    /** Whether concurrent generations share forward passes. */
    public boolean batching() {
        return batcher != null;
    }

    /** Batched passes so far (zeros when batching is off). */
    public ForwardBatcher.Counters batchCounters() {
        return batcher == null ? new ForwardBatcher.Counters(0, 0, 0) : batcher.counters();
    }

    /** Totals per method name, of finished generations. */
    public Map<String, MethodTotals> totals() {
        return new TreeMap<>(totals);
    }

    /**
     * Runs a generation on the calling thread and returns when it ends. {@code stream} receives the text
     * as it becomes final; when its {@link TokenStream#cancelled()} turns true the run stops before the
     * next token. Bad input (unknown method, a request beyond the context) fails with a
     * {@link TandemException} before any work.
     */
    public GenerationResult generate(GenerationRequest request, String method, TokenStream stream) {
        if (closed.get()) {
            throw new TandemException("the engine is closed");
        }
        Methods.check(method);
        request.checkFits(contextLength());
        Generator g = borrow(method);
        boolean healthy = false;
        running.incrementAndGet();
        try (ForwardBatcher.Membership m = batcher == null ? null : batcher.join()) {
            GenerationResult r = g.generate(request, stream);
            totals.merge(method, MethodTotals.ZERO.plus(r.stats().tokens(), r.stats().targetForwards(), r.stats().seconds()),
                    (a, b) -> a.plus(b.tokens(), b.targetForwards(), b.seconds()));
            healthy = true;
            return r;
        } finally {
            running.decrementAndGet();
            if (healthy) { // a run that threw (e.g. from the caller's stream) may have left its state half-way
                idle.get(method).push(g);
            }
        }
    }

    /**
     * Runs throwaway generations (plain decoding, alone and {@code parallel} at a time so the batched pass
     * is compiled too) for about {@code time}. A fresh JVM runs its first generations many times slower
     * while the JIT compiles the kernels; a server calls this before it takes requests.
     */
    public void warmUp(Duration time, int parallel) {
        long end = System.nanoTime() + time.toNanos();
        GenerationRequest r = new GenerationRequest(encode(""), Math.min(32, contextLength() - 1), dev.tandem.decoding.SamplingParams.GREEDY);
        try (var threads = java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor()) {
            for (int i = 0; i < Math.max(1, parallel); i++) {
                threads.submit(() -> {
                    do {
                        generate(r, "ar", TokenStream.NONE);
                    } while (System.nanoTime() < end);
                });
            }
        }
    }

    /**
     * A generation as a reactive stream of text pieces (as {@link TokenStream#onText} gives them), for
     * Reactor/RxJava/Mutiny or any {@link Flow.Subscriber}: each subscription starts its own generation on a
     * virtual thread; the subscriber's demand paces it (at most 256 pieces wait undelivered before the
     * generation blocks); cancelling the subscription stops the generation before its next token; the end
     * is {@code onComplete}, a failure {@code onError} with the same {@link TandemException} the blocking
     * call would throw.
     */
    public Flow.Publisher<String> publish(GenerationRequest request, String method) {
        Methods.check(method);
        request.checkFits(contextLength());
        return subscriber -> {
            SubmissionPublisher<String> pieces = new SubmissionPublisher<>(java.util.concurrent.ForkJoinPool.commonPool(), 256);
            pieces.subscribe(subscriber);
            Generation g = start(request, method, new TokenStream() {
                @Override
                public void onText(String text) {
                    if (!text.isEmpty()) {
                        pieces.submit(text); // blocks while the subscriber is 256 pieces behind
                    }
                }

                @Override
                public boolean cancelled() {
                    return pieces.getNumberOfSubscribers() == 0; // the subscription was cancelled
                }
            });
            g.future().whenComplete((r, t) -> {
                if (t != null) {
                    pieces.closeExceptionally(t);
                } else {
                    pieces.close();
                }
            });
        };
    }

    /** Starts a generation on a new virtual thread; the handle cancels it or waits for it. */
    public Generation start(GenerationRequest request, String method, TokenStream stream) {
        Methods.check(method);
        request.checkFits(contextLength());
        Generation g = new Generation();
        AtomicBoolean flag = g.flag();
        TokenStream s = new TokenStream() {
            @Override
            public void onText(String text) {
                stream.onText(text);
            }

            @Override
            public boolean cancelled() {
                return flag.get() || stream.cancelled();
            }
        };
        Thread.ofVirtual().name("tandem-generation").start(() -> {
            try {
                g.completion().complete(generate(request, method, s));
            } catch (Throwable t) {
                g.completion().completeExceptionally(t);
            }
        });
        return g;
    }

    private Generator borrow(String method) {
        Generator g = idle.computeIfAbsent(method, k -> new ConcurrentLinkedDeque<>()).poll();
        if (g != null) {
            return g;
        }
        Transformer target = new Transformer(model, backend, maxBatch);
        if (batcher != null) {
            target.batchedBy(batcher);
        }
        return Methods.create(method, target, tokenizer, options);
    }

    /** Frees the backend's threads and unmaps the model; generations still running fail. */
    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            backend.close();
            model.close();
        }
    }
}
