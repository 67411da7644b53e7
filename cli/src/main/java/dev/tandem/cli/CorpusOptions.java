package dev.tandem.cli;

import dev.tandem.core.TandemException;
import dev.tandem.decoding.heads.DistillationCorpus;
import dev.tandem.models.Tokenizer;
import dev.tandem.models.Transformer;
import java.io.PrintWriter;
import java.util.List;
import picocli.CommandLine.Option;

/**
 * The corpus of a model's own text that {@code train-heads} and {@code train-ngram} learn from, declared once: how
 * many positions it holds and its seed. Each command gives its own default size.
 */
final class CorpusOptions {
    /** Tokens a sequence continues its opening by (fewer where the model's context ends first). */
    private static final int SEQUENCE_LENGTH = 256;

    @Option(names = "--tokens", paramLabel = "N", description = "Corpus positions to generate (default: ${DEFAULT-VALUE}).")
    int tokens;

    @Option(names = "--seed", paramLabel = "S", defaultValue = "1",
            description = "Seed of the corpus; train-heads also draws its batch order from it (default: ${DEFAULT-VALUE}).")
    long seed;

    CorpusOptions(int tokens) {
        this.tokens = tokens;
    }

    /** Refuses a corpus under 100 positions before anything loads. */
    void check() {
        if (tokens < 100) {
            throw new TandemException("--tokens must be at least 100, got " + tokens);
        }
    }

    /** The model's text, each sequence continued at the next of {@code temperatures}, with a progress bar on {@code err}. */
    List<int[]> texts(Transformer target, Tokenizer tokenizer, float[] temperatures, PrintWriter err) {
        ProgressBar bar = new ProgressBar(err, "corpus");
        List<int[]> texts = DistillationCorpus.texts(target, tokenizer, tokens, SEQUENCE_LENGTH, seed, temperatures,
                made -> bar.positions(made, tokens));
        bar.done();
        return texts;
    }

    /** The model's text with its hidden states, for self-distillation, with a progress bar on {@code err}. */
    DistillationCorpus distillation(Transformer target, Tokenizer tokenizer, PrintWriter err) {
        ProgressBar bar = new ProgressBar(err, "corpus");
        DistillationCorpus corpus = DistillationCorpus.generate(target, tokenizer, tokens, SEQUENCE_LENGTH, seed,
                made -> bar.positions(made, tokens));
        bar.done();
        return corpus;
    }
}
