package dev.tandem.models.tokenizer;

import dev.tandem.core.Shown;
import dev.tandem.core.TandemException;
import dev.tandem.models.Llama2cTokenizer;
import dev.tandem.models.Tokenizer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/** Loads a tokenizer file by its kind: tokenizer.json (or a folder holding one), else a llama2.c tokenizer. */
public final class Tokenizers {
    private Tokenizers() {}

    /**
     * The tokenizer at {@code path} for a model with {@code modelVocab} tokens (0: do not check). A
     * tokenizer.json smaller than the model's vocabulary is padded with unused entries (models round their
     * embedding tables up); a larger one is refused.
     */
    /**
     * The tokenizer a model carries: a GGUF file's embedded {@code tokenizer.ggml.*} metadata, or a Hugging Face
     * folder's tokenizer.json; null for formats without one (llama2.c checkpoints).
     */
    public static Tokenizer embedded(dev.tandem.models.Model m) {
        if (m.metadata().containsKey(GgufTokenizers.MODEL)) {
            try {
                return fit(GgufTokenizers.fromMetadata(m.metadata()), m.config().vocabSize(), m.path());
            } catch (TandemException e) {
                throw new TandemException("GGUF file " + m.path() + " has a bad tokenizer: " + Shown.clean(e.getMessage()), e);
            }
        }
        if (Files.isDirectory(m.path()) && Files.isRegularFile(m.path().resolve(TokenizerJson.FILE))) {
            return fit(TokenizerJson.read(m.path()), m.config().vocabSize(), m.path());
        }
        return null;
    }

    /**
     * The tokenizer for model {@code m}: {@code explicit} when given, else the one the model carries
     * ({@link #embedded}), else tokenizer.bin, tok&lt;vocab&gt;.bin or tokenizer.json beside the model file.
     */
    public static Tokenizer forModel(dev.tandem.models.Model m, Path explicit) {
        if (explicit != null) {
            return load(explicit, m.config().vocabSize());
        }
        Tokenizer own = embedded(m);
        if (own != null) {
            return own;
        }
        Path dir = m.path().toAbsolutePath().getParent();
        for (String name : new String[] {"tokenizer.bin", "tok" + m.config().vocabSize() + ".bin", TokenizerJson.FILE}) {
            Path p = dir.resolve(name);
            if (Files.exists(p)) {
                return load(p, m.config().vocabSize());
            }
        }
        throw new TandemException("no tokenizer found beside " + m.path() + " (looked for tokenizer.bin, tok"
                + m.config().vocabSize() + ".bin and tokenizer.json); name one (--tokenizer PATH)");
    }

    public static Tokenizer load(Path path, int modelVocab) {
        String name = path.getFileName() == null ? "" : path.getFileName().toString().toLowerCase(Locale.ROOT);
        if (Files.isDirectory(path)) {
            if (!Files.isRegularFile(path.resolve(TokenizerJson.FILE))) {
                throw new TandemException("no " + TokenizerJson.FILE + " in the folder " + path);
            }
            return fit(TokenizerJson.read(path), modelVocab, path);
        }
        if (name.endsWith(".json")) {
            return fit(TokenizerJson.read(path), modelVocab, path);
        }
        if (name.endsWith(".gguf")) {
            throw new TandemException(path + " is a GGUF file: its tokenizer comes with the model (pass it as --model)");
        }
        return Llama2cTokenizer.load(path, modelVocab);
    }

    private static BpeTokenizer fit(BpeTokenizer t, int modelVocab, Path path) {
        if (modelVocab > 0 && t.vocabSize() > modelVocab) {
            throw new TandemException("tokenizer " + path + " has " + t.vocabSize() + " tokens but the model's vocabulary has "
                    + modelVocab + "; they do not belong together");
        }
        return modelVocab > 0 ? t.padTo(modelVocab) : t;
    }
}
