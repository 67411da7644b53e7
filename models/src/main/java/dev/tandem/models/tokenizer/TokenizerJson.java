package dev.tandem.models.tokenizer;

import dev.tandem.core.Shown;
import dev.tandem.core.TandemException;
import dev.tandem.models.Llama2cTokenizer;
import dev.tandem.models.Tokenizer;
import dev.tandem.models.io.FileBytes;
import dev.tandem.models.io.Json;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * Hugging Face {@code tokenizer.json} files (with {@code tokenizer_config.json} beside them), read and written.
 *
 * <p>Read: a BPE model either byte-level (a ByteLevel pre-tokenizer, alone or after Split / Digits stages:
 * GPT-2, Llama 3, Qwen2, SmolLM) or SentencePiece-style (a normalizer replacing ' ' with U+2581, with or
 * without Prepend, or a Metaspace pre-tokenizer, and byte fallback: Llama 2, TinyLlama, Mistral). Merges in
 * either form ({@code "a b"} or {@code ["a", "b"]}); added tokens become control tokens (special) or
 * user-defined ones. BOS/EOS, add_bos/add_eos and the chat template come from tokenizer_config.json when it
 * is there, else from the post-processor's template.
 *
 * <p>SentencePiece-style vocabularies carry scores, tokenizer.json carries merges. Writing derives merges
 * from scores as Hugging Face's converters do (every split of a piece into two pieces, pieces by descending
 * score); reading derives scores back as minus the rank of a piece's first merge. The order of the scores
 * survives, their values do not; encodings are the same except where two different pieces had exactly
 * equal scores and compete at once (SentencePiece takes the leftmost, the merge list the lower rank).
 */
public final class TokenizerJson {
    public static final String FILE = "tokenizer.json";
    public static final String CONFIG_FILE = "tokenizer_config.json";

    private TokenizerJson() {}

    /** A tokenizer.json file, or a folder holding one; tokenizer_config.json beside it is read when present. */
    public static BpeTokenizer read(Path fileOrFolder) {
        Path file = Files.isDirectory(fileOrFolder) ? fileOrFolder.resolve(FILE) : fileOrFolder;
        byte[] json = FileBytes.read(file, "tokenizer file");
        Path config = file.toAbsolutePath().getParent() == null ? null : file.toAbsolutePath().getParent().resolve(CONFIG_FILE);
        byte[] configJson = config != null && Files.isRegularFile(config) ? FileBytes.read(config, "tokenizer config") : null;
        return build(() -> new TokenizerJsonReader(Json.parse(json), configJson == null ? null : Json.parse(configJson)), file.toString());
    }

    /**
     * A tokenizer from tokenizer.json text and tokenizer_config.json text (null when there is none);
     * {@code where} names the source in errors.
     */
    public static BpeTokenizer parse(String tokenizerJson, String configJson, String where) {
        return build(() -> new TokenizerJsonReader(Json.parse(tokenizerJson), configJson == null ? null : Json.parse(configJson)), where);
    }

    private static BpeTokenizer build(java.util.function.Supplier<TokenizerJsonReader> reader, String where) {
        try {
            return reader.get().read();
        } catch (TandemException e) {
            throw new TandemException(where + ": " + Shown.clean(e.getMessage()), e);
        }
    }

    /** Writes {@code t} as a tokenizer.json file. */
    public static void write(Tokenizer t, Path file) {
        writeText(file, Json.write(toJson(bpe(t))));
    }

    /** Writes tokenizer.json and tokenizer_config.json (BOS/EOS, add_bos/add_eos, chat template) into a folder. */
    public static void writeFolder(Tokenizer t, Path folder) {
        BpeTokenizer b = bpe(t);
        try {
            Files.createDirectories(folder);
        } catch (IOException e) {
            throw new TandemException("cannot create folder " + folder + ": " + e.getMessage(), e);
        }
        writeText(folder.resolve(FILE), Json.write(toJson(b)));
        writeText(folder.resolve(CONFIG_FILE), Json.write(configJson(b)));
    }

    private static void writeText(Path file, String text) {
        try {
            Files.writeString(file, text, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new TandemException("cannot write " + file + ": " + e.getMessage(), e);
        }
    }

    private static BpeTokenizer bpe(Tokenizer t) {
        if (t instanceof BpeTokenizer b) {
            return b;
        }
        if (t instanceof Llama2cTokenizer l) {
            return SentencePieceBpe.fromLlama2c(l);
        }
        throw new TandemException("cannot write a " + t.getClass().getSimpleName() + " as tokenizer.json");
    }

    /** The tokenizer.json object of a tokenizer. */
    public static Map<String, Object> toJson(BpeTokenizer t) {
        return TokenizerJsonWriter.toJson(t);
    }

    /** The tokenizer_config.json object of a tokenizer. */
    public static Map<String, Object> configJson(BpeTokenizer t) {
        return TokenizerJsonWriter.configJson(t);
    }
}
