package dev.tandem.models.tokenizer;

import dev.tandem.core.TandemException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * Splits text into the words byte-level BPE merges within. A sequence of regex stages, each splitting every
 * piece the previous stage produced into its matches and the text between them (Hugging Face's
 * {@code Split} with behaviour {@code Isolated}, llama.cpp's {@code unicode_regex_split}).
 *
 * <p>The patterns are the families' own (from their tokenizer.json files) run by java.util.regex, which,
 * like Oniguruma that Hugging Face uses, backtracks, has lookahead and possessive quantifiers and matches
 * alternatives leftmost-first. Two differences need care and get it: {@code \s} and case-insensitivity are
 * ASCII-only in Java unless {@link Pattern#UNICODE_CHARACTER_CLASS} is set (it is), and Java has no
 * {@code \p{Han}}-style script names without {@code Is} (such a pattern fails with a clear error).
 */
public final class PreTokenizer {
    /** GPT-2's split: contractions, words with one leading space, numbers, punctuation runs, spaces. */
    public static final String GPT2_REGEX =
            "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";
    /** Llama 3's: case-insensitive contractions, a word may take one non-letter prefix, digits in groups of 1-3. */
    public static final String LLAMA3_REGEX = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}"
            + "| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
    /** Qwen2's: Llama 3's with single digits. */
    public static final String QWEN2_REGEX = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}"
            + "| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
    /** Hugging Face's {@code Digits} with {@code individual_digits}: every digit alone. */
    public static final String DIGIT_REGEX = "\\p{N}";

    /** How a stage appears in tokenizer.json (needed to write it back). */
    public enum StageKind {
        /** {@code ByteLevel} with {@code use_regex: true}: GPT-2's pattern */
        BYTE_LEVEL,
        /** {@code Split} with a regex, behaviour {@code Isolated} */
        SPLIT,
        /** {@code Digits}: {@code \p{N}} one by one, or runs of them */
        DIGITS
    }

    /** One split. */
    public record Stage(StageKind kind, String regex) {}

    /** A family known by name: its GGUF {@code tokenizer.ggml.pre} spellings and its stages. */
    private record Family(String name, List<String> ggufNames, List<Stage> stages) {}

    /** llama.cpp's fallback for GGUF files without (or with an unknown) {@code tokenizer.ggml.pre}. */
    private static final List<Stage> LLAMA_CPP_DEFAULT = List.of(
            new Stage(StageKind.SPLIT, "[\\p{P}\\$\\+<=>\\^~\\|]+"),
            new Stage(StageKind.SPLIT, "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)"),
            new Stage(StageKind.SPLIT, "\\p{N}+"),
            new Stage(StageKind.SPLIT, "[0-9][0-9][0-9]"));

    private static final List<Family> FAMILIES = List.of(
            new Family("default", List.of("default"), LLAMA_CPP_DEFAULT),
            new Family("gpt2", List.of("gpt-2", "gpt2", "phi-2", "roberta-bpe", "olmo", "mpt", "jais"),
                    List.of(new Stage(StageKind.BYTE_LEVEL, GPT2_REGEX))),
            new Family("llama3", List.of("llama-bpe", "llama3", "llama-v3", "dbrx", "smaug-bpe", "falcon3"),
                    List.of(new Stage(StageKind.SPLIT, LLAMA3_REGEX))),
            new Family("qwen2", List.of("qwen2", "stablelm2", "megrez", "deepseek-r1-qwen"),
                    List.of(new Stage(StageKind.SPLIT, QWEN2_REGEX))),
            new Family("smollm", List.of("smollm", "starcoder", "refact", "codeshell"),
                    List.of(new Stage(StageKind.DIGITS, DIGIT_REGEX), new Stage(StageKind.BYTE_LEVEL, GPT2_REGEX))));

    private final String family;
    private final List<Stage> stages;
    private final List<Pattern> patterns;

    private PreTokenizer(String family, List<Stage> stages) {
        this.family = family;
        this.stages = List.copyOf(stages);
        this.patterns = new ArrayList<>();
        for (Stage s : stages) {
            try {
                patterns.add(Pattern.compile(s.regex(), Pattern.UNICODE_CHARACTER_CLASS));
            } catch (PatternSyntaxException e) {
                throw new TandemException("the pre-tokenizer regex " + s.regex() + " is not supported by java.util.regex: "
                        + e.getDescription());
            }
        }
    }

    /**
     * A family by its name here (gpt2, llama3, qwen2, smollm, default) or a GGUF {@code tokenizer.ggml.pre}
     * name; "default" is llama.cpp's split for GGUF files that name no pre-tokenizer.
     */
    public static PreTokenizer named(String name) {
        String n = name.toLowerCase(Locale.ROOT);
        for (Family f : FAMILIES) {
            if (f.name().equals(n) || f.ggufNames().contains(n)) {
                return new PreTokenizer(f.name(), f.stages());
            }
        }
        throw new TandemException("unknown pre-tokenizer '" + name + "'; known: " + knownNames());
    }

    /** The names {@link #named} knows. */
    public static String knownNames() {
        List<String> all = new ArrayList<>();
        for (Family f : FAMILIES) {
            all.add(f.name());
            f.ggufNames().stream().filter(g -> !g.equals(f.name())).forEach(all::add);
        }
        return String.join(", ", all);
    }

    /** Stages read from a tokenizer.json; named after the family whose stages they are, if any. */
    public static PreTokenizer of(List<Stage> stages) {
        for (Family f : FAMILIES) {
            if (f.stages().equals(stages)) {
                return new PreTokenizer(f.name(), stages);
            }
        }
        return new PreTokenizer(null, stages);
    }

    /** default (llama.cpp's), gpt2, llama3, qwen2, smollm, or null for stages of no known family. */
    public String family() {
        return family;
    }

    /** The GGUF {@code tokenizer.ggml.pre} value llama.cpp knows this family by, or null. */
    public String ggufName() {
        for (Family f : FAMILIES) {
            if (f.name().equals(family)) {
                return f.ggufNames().get(0);
            }
        }
        return null;
    }

    public List<Stage> stages() {
        return stages;
    }

    /** The words of {@code text}, in order; their concatenation is the text. */
    public List<String> split(String text) {
        List<String> pieces = List.of(text);
        for (Pattern p : patterns) {
            List<String> next = new ArrayList<>();
            for (String piece : pieces) {
                Matcher m = p.matcher(piece);
                int from = 0;
                while (m.find()) {
                    if (m.end() == m.start()) {
                        continue; // an empty match splits nothing
                    }
                    if (m.start() > from) {
                        next.add(piece.substring(from, m.start()));
                    }
                    next.add(piece.substring(m.start(), m.end()));
                    from = m.end();
                }
                if (from < piece.length()) {
                    next.add(piece.substring(from));
                }
            }
            pieces = next;
        }
        return pieces;
    }
}
