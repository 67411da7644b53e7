package dev.tandem.cli;

import dev.tandem.core.DType;
import dev.tandem.core.TandemException;
import dev.tandem.models.Model;
import dev.tandem.models.Tokenizer;
import dev.tandem.models.convert.GgufExport;
import dev.tandem.models.convert.QuantMix;
import dev.tandem.models.convert.HfExport;
import dev.tandem.models.convert.Llama2cExport;
import dev.tandem.models.gguf.GgufWriter;
import dev.tandem.models.tokenizer.GgufTokenizers;
import dev.tandem.models.tokenizer.TokenizerJson;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.function.LongConsumer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code tandem convert}: between llama2.c checkpoints, GGUF files and Hugging Face folders. */
@Command(name = "convert", mixinStandardHelpOptions = true,
        description = {"Converts a model between llama2.c (.bin), GGUF (.gguf, tokenizer embedded) and a Hugging Face",
                "folder (config.json + model.safetensors + tokenizer.json), optionally changing the weight type."})
final class ConvertCommand extends TandemCommand {
    @Mixin
    ModelOptions model;

    @Option(names = "--out", required = true, paramLabel = "OUT",
            description = "OUT.gguf writes GGUF; OUT.bin a llama2.c checkpoint; anything else a Hugging Face folder.")
    Path out;

    @Option(completionCandidates = DTypeNames.class, names = "--dtype", paramLabel = "TYPE",
            description = "Weight type of the matrices: ${COMPLETION-CANDIDATES} (GGUF only). Default: keep.")
    String dtype;

    @Override
    Integer run() {
        QuantMix type = dtype == null ? null : QuantMix.parse(dtype);
        Path in = model.modelPath();
        if (Files.exists(out) && in.toAbsolutePath().normalize().equals(out.toAbsolutePath().normalize())) {
            throw new TandemException("--out " + out + " is the input model; write to another path");
        }
        String name = out.getFileName().toString().toLowerCase(Locale.ROOT);
        long t0 = System.nanoTime();
        try (Model m = model.loadModel()) {
            ProgressBar bar = new ProgressBar(stderr, "convert");
            if (name.endsWith(".gguf")) {
                Tokenizer tok = model.loadTokenizer(m);
                GgufWriter w = GgufExport.plan(m, GgufTokenizers.toMetadata(tok), type);
                w.write(out, progress(bar, w.tensorBytes()));
            } else if (name.endsWith(".bin")) {
                if (type != null && type.base() != DType.F32) {
                    throw new TandemException("llama2.c checkpoints hold f32 weights only");
                }
                Llama2cExport.write(m, out, progress(bar, 0));
                stdout.println("note: llama2.c checkpoints carry no tokenizer; keep the original one beside " + out);
            } else {
                Tokenizer tok = model.loadTokenizer(m);
                DType hf = type == null ? null : type.base();
                if (type != null && type.isMix()) {
                    throw new TandemException(type + " mixes GGUF types; write OUT.gguf, or pick one type for a Hugging Face folder");
                }
                HfExport.write(m, hf, out, progress(bar, HfExport.bytes(m, hf)));
                TokenizerJson.writeFolder(tok, out);
            }
            bar.done();
            stdout.printf(Locale.ROOT, "wrote %s (%s, %d layers, dim %d%s) in %.1f s%n", out, m.config().architecture(),
                    m.config().layers(), m.config().dim(), type == null ? "" : ", " + type, (System.nanoTime() - t0) / 1e9);
        }
        return 0;
    }

    private static LongConsumer progress(ProgressBar bar, long total) {
        return done -> bar.show(total <= 0 ? 0 : (double) done / total, String.format(Locale.ROOT, "%.1f MB", done / 1e6));
    }
}
