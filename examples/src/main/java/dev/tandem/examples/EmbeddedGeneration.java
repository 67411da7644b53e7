package dev.tandem.examples;

import dev.tandem.api.Engine;
import dev.tandem.api.Generation;
import dev.tandem.decoding.GenerationRequest;
import dev.tandem.decoding.GenerationResult;
import dev.tandem.decoding.SamplingParams;
import dev.tandem.decoding.TokenStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Tandem inside a plain Java program, as a JVM service would use it: one engine for the model, then a blocking
 * generation that streams its text, one in the background that is cancelled, and one as a
 * {@link Flow.Publisher}. The only dependency is the {@code decoding} module.
 *
 * <p>Run it: {@code java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -cp ...
 * dev.tandem.examples.EmbeddedGeneration ../shared/models/stories260k/stories260K.bin}.
 */
public final class EmbeddedGeneration {
    private EmbeddedGeneration() {}

    public static void main(String[] args) throws InterruptedException {
        run(Path.of(args.length > 0 ? args[0] : "../shared/models/stories260k/stories260K.bin"), System.out);
    }

    /** The three uses, printing to {@code out}; returns the blocking generation's result. */
    public static GenerationResult run(Path model, PrintStream out) throws InterruptedException {
        try (Engine engine = Engine.open(model)) {
            GenerationRequest request = new GenerationRequest(engine.encode("Once upon a time"), 64,
                    new SamplingParams(0.8f, 0, 0.95f, 0f, 42), List.of("The end"));

            // 1. blocking, on this thread: text arrives as soon as it is final
            GenerationResult r = engine.generate(request, "lookup", out::print);
            out.printf("%n[blocking] %d tokens, %.2f tokens per target step%n", r.stats().tokens(), r.stats().meanAcceptedLength());

            // 2. in the background, with a handle: cancelled at once, it returns the tokens it had
            Generation g = engine.start(request, "ar", TokenStream.NONE);
            g.cancel();
            GenerationResult partial = g.await();
            out.printf("[background] stopped: %s after %d tokens%n", partial.stopReason(), partial.stats().tokens());

            // 3. as a reactive stream, paced by the subscriber's demand (one piece at a time here)
            AtomicInteger pieces = new AtomicInteger();
            CountDownLatch done = new CountDownLatch(1);
            engine.publish(request, "ar").subscribe(new Flow.Subscriber<>() {
                private Flow.Subscription subscription;

                @Override
                public void onSubscribe(Flow.Subscription s) {
                    subscription = s;
                    s.request(1);
                }

                @Override
                public void onNext(String text) {
                    pieces.incrementAndGet();
                    subscription.request(1);
                }

                @Override
                public void onError(Throwable t) {
                    out.println("[publisher] failed: " + t.getMessage());
                    done.countDown();
                }

                @Override
                public void onComplete() {
                    done.countDown();
                }
            });
            if (!done.await(60, TimeUnit.SECONDS)) {
                throw new IllegalStateException("the published generation did not complete within 60 s");
            }
            out.printf("[publisher] %d pieces of text%n", pieces.get());
            return r;
        }
    }
}
