package dev.tandem.bench;

import dev.tandem.api.Engine;
import dev.tandem.decoding.GenerationRequest;
import dev.tandem.decoding.SamplingParams;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code ./tandem bench prefill-stall}: what a long prompt arriving in a batched engine costs the requests
 * already decoding, per prefill chunk size. Per round and chunk size (alternated): {@code --decoders}
 * greedy generations start, and once they are decoding a prompt of {@code --prompt-tokens} arrives; reported
 * are its time to first token and the decoders' gaps between tokens while it prefilled against their gaps
 * otherwise.
 */
@Command(name = "prefill-stall", mixinStandardHelpOptions = true,
        description = "A long prompt arriving while others decode: its first-token time and their token gaps, per prefill chunk.")
public final class PrefillStall implements Callable<Integer> {
    @Mixin
    ModelOption model;

    @Mixin
    TokenizerOption tokenizer;

    @Option(names = "--prefill-chunks", split = ",", paramLabel = "N[,N...]",
            description = "Prefill chunk sizes compared (default: 64,16,4).")
    int[] chunks = {64, 16, 4};

    @Option(names = "--decoders", paramLabel = "N", description = "Generations decoding when the prompt arrives (default: ${DEFAULT-VALUE}).")
    int decoders = 7;

    @Option(names = "--prompt-tokens", paramLabel = "N", description = "Length of the arriving prompt (default: ${DEFAULT-VALUE}).")
    int promptTokens = 400;

    @Option(names = "--decode-tokens", paramLabel = "N", description = "Tokens each decoder generates (default: ${DEFAULT-VALUE}).")
    int decodeTokens = 120;

    @Mixin
    ThreadsOption threads;

    /** A round alternates the chunk sizes. */
    @Mixin
    RoundsOption rounds = new RoundsOption(3);

    /** Each engine's warm-up, as many generations at once as there are decoders and the prompt. */
    @Mixin
    WarmupOption warmup = new WarmupOption(5);

    /** One round of one chunk size. */
    record Outcome(double firstTokenSeconds, double medianGapDuring, double maxGapDuring, double medianGapOtherwise) {}

    @Override
    public Integer call() throws Exception {
        if (chunks.length == 0 || Arrays.stream(chunks).anyMatch(c -> c < 1) || decoders < 1 || promptTokens < 1 || rounds.count < 1) {
            throw new dev.tandem.core.TandemException("--prefill-chunks must be >= 1 each, --decoders, --prompt-tokens and --rounds >= 1");
        }
        List<Engine> engines = new ArrayList<>();
        try {
            for (int c : chunks) {
                Engine e = tokenizer.applyTo(model.engine().threads(threads.count).batching(true).prefillChunk(c)).build();
                engines.add(e);
                e.warmUp(warmup.duration(), decoders + 1);
            }
            int[] prompt = longPrompt(engines.get(0));
            List<List<Outcome>> outcomes = new ArrayList<>();
            for (int c = 0; c < chunks.length; c++) {
                outcomes.add(new ArrayList<>());
            }
            for (int r = 0; r < rounds.count; r++) {
                for (int c = 0; c < chunks.length; c++) {
                    Outcome o = round(engines.get(c), prompt);
                    outcomes.get(c).add(o);
                    System.err.printf(Locale.ROOT, "round %d, chunk %d: first token %.1f s, gaps while prefilling median %.0f max %.0f ms, otherwise %.0f ms%n",
                            r + 1, chunks[c], o.firstTokenSeconds, o.medianGapDuring, o.maxGapDuring, o.medianGapOtherwise);
                }
            }
            System.out.printf(Locale.ROOT, "%s: %d decoders, a %d-token prompt arriving, %d threads, %d rounds (ranges over rounds)%n%n",
                    model.path.getFileName(), decoders, prompt.length, threads.count, rounds.count);
            System.out.println("| prefill chunk | first token s | decoders' gaps while it prefills: median / max ms | their gaps otherwise ms |");
            System.out.println("|---:|---:|---:|---:|");
            for (int c = 0; c < chunks.length; c++) {
                List<Outcome> os = outcomes.get(c);
                System.out.printf(Locale.ROOT, "| %d | %s | %s / %s | %s |%n", chunks[c],
                        range(os, Outcome::firstTokenSeconds, "%.1f"), range(os, Outcome::medianGapDuring, "%.0f"),
                        range(os, Outcome::maxGapDuring, "%.0f"), range(os, Outcome::medianGapOtherwise, "%.0f"));
            }
        } finally {
            engines.forEach(Engine::close);
        }
        return 0;
    }

    /** Story text repeated to {@code --prompt-tokens} tokens. */
    private int[] longPrompt(Engine e) {
        if (promptTokens + 4 > e.contextLength()) {
            throw new dev.tandem.core.TandemException("--prompt-tokens " + promptTokens + " leaves no room in the model's context of " + e.contextLength());
        }
        StringBuilder text = new StringBuilder();
        int[] p;
        do {
            text.append("Once upon a time, there was a little girl named Lily. She liked to play in the park with her dog. ");
            p = e.encode(text.toString());
        } while (p.length < promptTokens);
        return Arrays.copyOf(p, promptTokens);
    }

    private Outcome round(Engine e, int[] prompt) throws Exception {
        List<List<Long>> stamps = new ArrayList<>();
        long arrived;
        long[] first = {0};
        try (ExecutorService ex = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<?>> running = new ArrayList<>();
            for (int s = 0; s < decoders; s++) {
                List<Long> st = Collections.synchronizedList(new ArrayList<>());
                stamps.add(st);
                int[] p = e.encode(MethodTable.PROMPTS.get(1 + s % (MethodTable.PROMPTS.size() - 1)));
                running.add(ex.submit(() -> e.generate(new GenerationRequest(p, decodeTokens, SamplingParams.GREEDY), "ar",
                        text -> st.add(System.nanoTime()))));
            }
            while (stamps.stream().anyMatch(st -> st.size() < 3)) { // every decoder past its own prefill
                Thread.sleep(5);
            }
            arrived = System.nanoTime();
            e.generate(new GenerationRequest(prompt, 2, SamplingParams.GREEDY), "ar", text -> {
                if (first[0] == 0) {
                    first[0] = System.nanoTime();
                }
            });
            for (Future<?> f : running) {
                f.get();
            }
        }
        List<Double> during = new ArrayList<>(), otherwise = new ArrayList<>();
        for (List<Long> st : stamps) {
            for (int i = 1; i < st.size(); i++) {
                double gap = (st.get(i) - st.get(i - 1)) / 1e6;
                (st.get(i) > arrived && st.get(i - 1) < first[0] ? during : otherwise).add(gap);
            }
        }
        return new Outcome((first[0] - arrived) / 1e9, median(during), during.stream().mapToDouble(d -> d).max().orElse(0), median(otherwise));
    }

    /** The median gap ({@link DecodeReport#median}); 0 where there was none. */
    private static double median(List<Double> gaps) {
        return gaps.isEmpty() ? 0 : DecodeReport.median(gaps.stream().mapToDouble(g -> g).toArray());
    }

    private static String range(List<Outcome> os, java.util.function.ToDoubleFunction<Outcome> f, String fmt) {
        double lo = os.stream().mapToDouble(f).min().orElse(0), hi = os.stream().mapToDouble(f).max().orElse(0);
        String a = String.format(Locale.ROOT, fmt, lo), b = String.format(Locale.ROOT, fmt, hi);
        return a.equals(b) ? a : a + "-" + b;
    }
}
