package dev.tandem.decoding.heads;

import dev.tandem.decoding.AutoregressiveGenerator;
import dev.tandem.decoding.GenerationRequest;
import dev.tandem.decoding.SamplingParams;
import dev.tandem.decoding.TokenStream;
import dev.tandem.models.Batch;
import dev.tandem.models.ForwardResult;
import dev.tandem.models.Tokenizer;
import dev.tandem.models.Transformer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.IntConsumer;

/**
 * Self-distillation data: text the frozen base model writes itself, with its final hidden state at every
 * position. Heads learn to predict the model's own future tokens from those states. Each sequence starts
 * from BOS and a short opening the model samples at temperature 1 (varied, and disjoint from any
 * evaluation prompt), then continues alternately at temperature 0.8 and greedily, so the heads see both
 * regimes they will draft for. Everything is seeded.
 */
public final class DistillationCorpus {
    static final float SAMPLED_TEMPERATURE = 0.8f;
    static final int MAX_OPENING = 6;

    /** Per sequence: its tokens, and the hidden state after each of them (hidden[t] predicts token t+1). */
    public record Sequence(int[] tokens, float[][] hidden) {}

    private final List<Sequence> sequences;
    private final int positions;

    private DistillationCorpus(List<Sequence> sequences) {
        this.sequences = sequences;
        int p = 0;
        for (Sequence s : sequences) {
            p += s.tokens().length;
        }
        this.positions = p;
    }

    public List<Sequence> sequences() {
        return sequences;
    }

    public int positions() {
        return positions;
    }

    /**
     * Generates about {@code tokens} positions of text, {@code sequenceLength} tokens at a time; reports
     * the positions made so far to {@code progress}.
     */
    public static DistillationCorpus generate(Transformer target, Tokenizer tokenizer, int tokens, int sequenceLength,
                                              long seed, IntConsumer progress) {
        List<Sequence> out = new ArrayList<>();
        for (int[] text : texts(target, tokenizer, tokens, sequenceLength, seed, new float[] {SAMPLED_TEMPERATURE, 0f}, progress)) {
            out.add(new Sequence(text, hiddenStates(target, text)));
        }
        return new DistillationCorpus(out);
    }

    /**
     * Text the model writes itself, about {@code tokens} positions, {@code sequenceLength} tokens at a time:
     * each sequence is BOS, an opening of 1 to 6 tokens sampled at temperature 1, and its continuation at
     * {@code temperatures[n % temperatures.length]} for the n-th sequence (0: greedy). Seeded.
     */
    public static List<int[]> texts(Transformer target, Tokenizer tokenizer, int tokens, int sequenceLength, long seed,
                                    float[] temperatures, IntConsumer progress) {
        SplittableRandom rnd = new SplittableRandom(seed);
        AutoregressiveGenerator ar = new AutoregressiveGenerator(target, tokenizer);
        List<int[]> out = new ArrayList<>();
        int made = 0;
        int n = 0;
        while (made < tokens) {
            int[] bos = {tokenizer.bos()};
            int[] opening = ar.generate(new GenerationRequest(bos, 1 + rnd.nextInt(MAX_OPENING),
                    new SamplingParams(1f, 0, 1f, 0f, rnd.nextLong())), TokenStream.NONE).tokens();
            int[] prompt = Arrays.copyOf(bos, 1 + opening.length);
            System.arraycopy(opening, 0, prompt, 1, opening.length);
            int room = target.config().contextLength() - prompt.length;
            int length = Math.min(sequenceLength, room);
            float temperature = temperatures[n++ % temperatures.length];
            SamplingParams sp = new SamplingParams(temperature, 0, 1f, 0f, rnd.nextLong());
            int[] generated = ar.generate(new GenerationRequest(prompt, length, sp), TokenStream.NONE).tokens();
            int[] all = Arrays.copyOf(prompt, prompt.length + generated.length);
            System.arraycopy(generated, 0, all, prompt.length, generated.length);
            out.add(all);
            made += all.length;
            progress.accept(Math.min(made, tokens));
        }
        return out;
    }

    /** Every sequence's residual stream after {@code layer} layers, position by position. */
    public List<float[][]> layerStates(Transformer t, int layer) {
        List<float[][]> out = new ArrayList<>();
        for (Sequence s : sequences) {
            out.add(states(t, s.tokens(), layer));
        }
        return out;
    }

    /** The final hidden state after every token. */
    static float[][] hiddenStates(Transformer t, int[] tokens) {
        return states(t, tokens, -1);
    }

    /**
     * Per token, the residual stream after {@code layer} layers, or the final hidden state for -1, from
     * batched forward passes over the whole sequence.
     */
    private static float[][] states(Transformer t, int[] tokens, int layer) {
        t.cache().reset();
        float[][] h = new float[tokens.length][];
        int max = t.cache().maxBatch();
        for (int s = 0; s < tokens.length; s += max) {
            int e = Math.min(tokens.length, s + max);
            Batch b = Batch.chain(Arrays.copyOfRange(tokens, s, e)).lastLogitsOnly();
            ForwardResult r = t.forward(layer < 0 ? b.withHiddenStates() : b.capturingLayer(layer));
            for (int i = s; i < e; i++) {
                h[i] = layer < 0 ? r.hiddenState(i - s) : r.layerState(i - s);
            }
            t.cache().commitChain(e - s);
        }
        return h;
    }
}
