package dev.tandem.cli;

import dev.tandem.core.Backend;
import dev.tandem.core.TandemException;
import dev.tandem.decoding.speculative.NgramTable;
import dev.tandem.models.Model;
import dev.tandem.models.Tokenizer;
import dev.tandem.models.Transformer;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "train-ngram", mixinStandardHelpOptions = true,
        description = {"Count an n-gram table of a model's own text (openings sampled from BOS, continued by the model) for --method ngram.",
                "A table of a small model serves every model that predicts as it does (an inflated copy, for one)."})
final class TrainNgramCommand extends TandemCommand {
    @Mixin
    ModelOptions modelOptions;

    @Option(names = "--out", required = true, paramLabel = "PATH", description = "Table file to write.")
    Path out;

    /** More positions, more contexts known. */
    @Mixin
    CorpusOptions corpusOptions = new CorpusOptions(1_000_000);

    @Option(names = "--order", paramLabel = "N", defaultValue = "8", description = "Longest context counted, in tokens (default: ${DEFAULT-VALUE}).")
    int order;

    @Option(names = "--temperature", paramLabel = "T", defaultValue = "0",
            description = {"Temperature of the corpus' continuations; 0 = greedy, what temperature-0 decoding meets (default: ${DEFAULT-VALUE}).",
                    "For sampled decoding count text sampled at that temperature: its drafts are drawn from the counts."})
    float temperature;

    @Override
    Integer run() {
        corpusOptions.check();
        if (order < 1 || order > NgramTable.MAX_ORDER) {
            throw new TandemException("--order must be between 1 and " + NgramTable.MAX_ORDER + ", got " + order);
        }
        if (!(temperature >= 0)) {
            throw new TandemException("--temperature must be >= 0, got " + temperature);
        }
        try (Model model = modelOptions.loadModel(); Backend backend = modelOptions.backend()) {
            Tokenizer tokenizer = modelOptions.loadTokenizer(model);
            long t0 = System.nanoTime();
            List<int[]> texts = corpusOptions.texts(new Transformer(model, backend), tokenizer, new float[] {temperature}, stderr);
            NgramTable table = NgramTable.build(texts, model.config().vocabSize(), order);
            table.save(out);
            stdout.printf(Locale.ROOT, "wrote an order-%d n-gram table of %,d contexts (%,d corpus positions) to %s (%.1f s)%n", order,
                    table.contexts(), table.positions(), out, (System.nanoTime() - t0) / 1e9);
        }
        return 0;
    }
}
