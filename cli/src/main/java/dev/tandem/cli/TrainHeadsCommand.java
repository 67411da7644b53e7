package dev.tandem.cli;

import dev.tandem.core.Backend;
import dev.tandem.core.TandemException;
import dev.tandem.decoding.heads.DistillationCorpus;
import dev.tandem.decoding.heads.HeadKind;
import dev.tandem.decoding.heads.HeadsFile;
import dev.tandem.decoding.heads.HeadsTrainer;
import dev.tandem.decoding.heads.TransferMaps;
import dev.tandem.models.Model;
import dev.tandem.models.Tokenizer;
import dev.tandem.models.Transformer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "train-heads", mixinStandardHelpOptions = true,
        description = {"Train decoding heads on a frozen model by self-distillation (Medusa-1 style) and write them as safetensors.",
                "Interrupted runs resume from OUT.ckpt when started again with the same settings."})
final class TrainHeadsCommand extends TandemCommand {
    @Mixin
    ModelOptions modelOptions;

    @Option(names = "--kind", required = true, paramLabel = "medusa|cerberus|hidden-transfer", description = "Which heads.")
    String kind;

    @Option(names = "--out", required = true, paramLabel = "PATH", description = "Heads file to write (safetensors).")
    Path out;

    @Option(names = "--heads", paramLabel = "N", defaultValue = "5", description = "Number of heads (default: ${DEFAULT-VALUE}).")
    int heads;

    @Mixin
    CorpusOptions corpusOptions = new CorpusOptions(200_000);

    @Option(names = "--epochs", paramLabel = "N", defaultValue = "8", description = "Passes over the corpus (default: ${DEFAULT-VALUE}).")
    int epochs;

    @Option(names = "--learning-rate", paramLabel = "LR", defaultValue = "0.003", description = "Adam learning rate (default: ${DEFAULT-VALUE}).")
    float learningRate;

    @Option(names = "--batch", paramLabel = "N", defaultValue = "64", description = "Mini-batch size (default: ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--layer", paramLabel = "L", description = "hidden-transfer: the transfer layer (default: a quarter of the model's layers, at least 1).")
    Integer layer;

    @Option(names = "--fresh", description = "Ignore an existing checkpoint and start over.")
    boolean fresh;

    @Override
    Integer run() throws Exception {
        corpusOptions.check();
        if (kind.equals("hidden-transfer")) {
            return trainTransfers();
        }
        HeadKind headKind = switch (kind) {
            case "medusa" -> HeadKind.MEDUSA;
            case "cerberus" -> HeadKind.CERBERUS;
            default -> throw new TandemException("unknown --kind '" + kind + "'; use medusa, cerberus or hidden-transfer");
        };
        HeadsTrainer.Settings settings = new HeadsTrainer.Settings(headKind, heads, epochs, batch, learningRate, corpusOptions.seed);
        Path checkpoint = out.resolveSibling(out.getFileName() + ".ckpt");
        if (fresh) {
            Files.deleteIfExists(checkpoint);
        } else if (Files.exists(checkpoint)) {
            stderr.println("tandem: resuming from checkpoint " + checkpoint);
        }
        try (Model model = modelOptions.loadModel(); Backend backend = modelOptions.backend()) {
            Tokenizer tokenizer = modelOptions.loadTokenizer(model);
            long t0 = System.nanoTime();
            DistillationCorpus corpus = corpusOptions.distillation(new Transformer(model, backend), tokenizer, stderr);
            ProgressBar trainBar = new ProgressBar(stderr, "train ");
            HeadsTrainer.Result r = new HeadsTrainer(model, backend, settings).train(corpus, checkpoint,
                    (epoch, allEpochs, step, steps, loss, pps) -> trainBar.show(step / (double) steps,
                            String.format(Locale.ROOT, "epoch %d/%d  loss %.3f  %,.0f positions/s", epoch, allEpochs, loss, pps)));
            trainBar.done();
            Map<String, String> notes = new LinkedHashMap<>();
            notes.put("corpus_positions", Integer.toString(corpus.positions()));
            notes.put("epochs", Integer.toString(epochs));
            notes.put("learning_rate", Float.toString(learningRate));
            notes.put("seed", Long.toString(corpusOptions.seed));
            notes.put("final_loss", String.format(Locale.ROOT, "%.4f", r.finalLoss()));
            HeadsFile.save(out, r.heads(), notes);
            Files.deleteIfExists(checkpoint);
            stdout.printf(Locale.ROOT, "wrote %d %s heads to %s (final loss %.3f, %,d examples, %.1f s)%n", heads, headKind.id(), out,
                    r.finalLoss(), r.examples(), (System.nanoTime() - t0) / 1e9);
        }
        return 0;
    }

    /** Hidden Transfer: fits the linear transfers in closed form (no epochs, nothing to resume). */
    private int trainTransfers() {
        if (heads < 1 || heads > 16) {
            throw new TandemException("--heads must be between 1 and 16, got " + heads);
        }
        try (Model model = modelOptions.loadModel(); Backend backend = modelOptions.backend()) {
            int layers = model.config().layers();
            int l = layer != null ? layer : Math.max(1, layers / 4); // early layers transferred best on stories260K (docs/MEASUREMENTS.md)
            if (l < 1 || l >= layers) {
                throw new TandemException("--layer must be between 1 and " + (layers - 1) + ", got " + l);
            }
            Tokenizer tokenizer = modelOptions.loadTokenizer(model);
            long t0 = System.nanoTime();
            Transformer t = new Transformer(model, backend);
            DistillationCorpus corpus = corpusOptions.distillation(t, tokenizer, stderr);
            double[] mse = new double[heads];
            TransferMaps maps = TransferMaps.fit(corpus.layerStates(t, l), l, heads, model.name(), mse);
            Map<String, String> notes = new LinkedHashMap<>();
            notes.put("corpus_positions", Integer.toString(corpus.positions()));
            notes.put("seed", Long.toString(corpusOptions.seed));
            notes.put("mse", java.util.Arrays.toString(mse));
            maps.save(out, notes);
            stdout.printf(Locale.ROOT, "wrote %d hidden transfers at layer %d to %s (mean squared error per offset %s, %.1f s)%n", heads, l,
                    out, java.util.Arrays.toString(java.util.Arrays.stream(mse).map(v -> Math.round(v * 1000) / 1000.0).toArray()),
                    (System.nanoTime() - t0) / 1e9);
        }
        return 0;
    }
}
