package dev.tandem.models.tokenizer;

import dev.tandem.core.TandemException;
import dev.tandem.models.Llama2cTokenizer;
import dev.tandem.models.Tokenizer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Tokenizers to and from GGUF metadata (the {@code tokenizer.*} keys llama.cpp reads). Values arrive as a
 * GGUF reader gives them: strings, {@link Boolean}s, {@link Number}s of any boxed type, arrays as
 * {@link List}s. Written values are {@code String}, {@code Boolean}, {@code Integer}, {@code Float} and
 * lists of them.
 *
 * <p>Defaults follow llama.cpp: for {@code llama} BOS 1, EOS 2, unknown 0, BOS added, the dummy prefix on;
 * for {@code gpt2} no BOS added except for the Llama 3 pre-tokenizer, which also takes whole-word pieces
 * before merging (ignore_merges). Not representable in GGUF and dropped on writing: a byte-level
 * tokenizer's NFC normalizer and ignore_merges outside the Llama 3 family.
 */
public final class GgufTokenizers {
    public static final String MODEL = "tokenizer.ggml.model";
    public static final String PRE = "tokenizer.ggml.pre";
    public static final String TOKENS = "tokenizer.ggml.tokens";
    public static final String SCORES = "tokenizer.ggml.scores";
    public static final String TOKEN_TYPE = "tokenizer.ggml.token_type";
    public static final String MERGES = "tokenizer.ggml.merges";
    public static final String BOS = "tokenizer.ggml.bos_token_id";
    public static final String EOS = "tokenizer.ggml.eos_token_id";
    public static final String UNKNOWN = "tokenizer.ggml.unknown_token_id";
    public static final String PADDING = "tokenizer.ggml.padding_token_id";
    public static final String ADD_BOS = "tokenizer.ggml.add_bos_token";
    public static final String ADD_EOS = "tokenizer.ggml.add_eos_token";
    public static final String ADD_SPACE_PREFIX = "tokenizer.ggml.add_space_prefix";
    public static final String CHAT_TEMPLATE = "tokenizer.chat_template";

    private GgufTokenizers() {}

    /** The tokenizer a GGUF file's metadata describes. */
    public static BpeTokenizer fromMetadata(Map<String, ?> md) {
        String model = string(md, MODEL, null);
        if (model == null) {
            throw new TandemException("the GGUF file has no tokenizer (" + MODEL + " is missing)");
        }
        return switch (model) {
            case "llama" -> sentencePiece(md);
            case "gpt2" -> byteLevel(md);
            case "none", "no_vocab" -> throw new TandemException("the GGUF file has no vocabulary (" + MODEL + " = '"
                    + model + "'); pass --tokenizer");
            default -> throw new TandemException("tokenizer model '" + model + "' (" + MODEL + ") is not supported; "
                    + "Tandem reads llama (SentencePiece BPE) and gpt2 (byte-level BPE)");
        };
    }

    private static SentencePieceBpe sentencePiece(Map<String, ?> md) {
        List<String> tokens = strings(md, TOKENS);
        List<TokenType> types = types(md, tokens, true);
        float[] scores = new float[tokens.size()];
        List<?> s = list(md, SCORES, false);
        if (s != null) {
            checkLength(SCORES, s.size(), tokens.size());
            for (int i = 0; i < scores.length; i++) {
                scores[i] = number(s.get(i), SCORES).floatValue();
            }
        }
        Vocabulary v = new Vocabulary(tokens, types);
        SpecialTokens specials = new SpecialTokens(id(md, BOS, 1, v), id(md, EOS, 2, v), id(md, UNKNOWN, 0, v),
                id(md, PADDING, -1, v), bool(md, ADD_BOS, true), bool(md, ADD_EOS, false));
        boolean prefix = bool(md, ADD_SPACE_PREFIX, true);
        return new SentencePieceBpe(v, scores, specials, prefix ? SentencePieceBpe.SpacePrefix.ALWAYS
                : SentencePieceBpe.SpacePrefix.NONE, string(md, CHAT_TEMPLATE, null));
    }

    private static ByteLevelBpe byteLevel(Map<String, ?> md) {
        List<String> tokens = strings(md, TOKENS);
        List<TokenType> types = types(md, tokens, false);
        List<?> mergeLines = list(md, MERGES, true);
        List<ByteLevelBpe.Merge> merges = new ArrayList<>(mergeLines.size());
        for (Object o : mergeLines) {
            if (!(o instanceof String line)) {
                throw new TandemException(MERGES + " must hold strings, found " + typeName(o));
            }
            merges.add(ByteLevelBpe.Merge.parse(line));
        }
        String preName = string(md, PRE, "default");
        PreTokenizer pre;
        try {
            pre = PreTokenizer.named(preName);
        } catch (TandemException e) {
            throw new TandemException(PRE + " '" + preName + "' is not a pre-tokenizer Tandem knows (known: "
                    + PreTokenizer.knownNames() + ")");
        }
        boolean llama3 = "llama3".equals(pre.family());
        Vocabulary v = new Vocabulary(tokens, types);
        SpecialTokens specials = new SpecialTokens(id(md, BOS, -1, v), id(md, EOS, -1, v), id(md, UNKNOWN, -1, v),
                id(md, PADDING, -1, v), bool(md, ADD_BOS, llama3), bool(md, ADD_EOS, false));
        return new ByteLevelBpe(v, merges, specials, pre, new ByteLevelBpe.Options(llama3, false, false),
                string(md, CHAT_TEMPLATE, null));
    }

    /** GGUF metadata for a tokenizer (llama2.c tokenizers become their SentencePiece form). */
    public static Map<String, Object> toMetadata(Tokenizer t) {
        if (t instanceof Llama2cTokenizer l) {
            t = SentencePieceBpe.fromLlama2c(l);
        }
        if (!(t instanceof BpeTokenizer b)) {
            throw new TandemException("cannot describe a " + t.getClass().getSimpleName() + " in GGUF metadata");
        }
        Vocabulary v = b.vocabulary();
        Map<String, Object> md = new LinkedHashMap<>();
        switch (b) {
            case SentencePieceBpe s -> {
                if (s.spacePrefix() == SentencePieceBpe.SpacePrefix.FIRST) {
                    throw new TandemException("GGUF cannot describe a dummy prefix added only at the start of the input");
                }
                md.put(MODEL, "llama");
            }
            case ByteLevelBpe bl -> {
                String pre = bl.preTokenizer().ggufName();
                if (pre == null) {
                    throw new TandemException("the pre-tokenizer of this tokenizer is none of the families GGUF names ("
                            + PreTokenizer.knownNames() + ")");
                }
                if (bl.options().addPrefixSpace()) {
                    throw new TandemException("GGUF cannot describe a byte-level tokenizer that adds a prefix space");
                }
                md.put(MODEL, "gpt2");
                md.put(PRE, pre);
            }
        }
        List<String> tokens = new ArrayList<>(v.pieces());
        List<Integer> types = new ArrayList<>(v.size());
        for (int i = 0; i < v.size(); i++) {
            types.add(v.type(i).code());
        }
        md.put(TOKENS, tokens);
        if (b instanceof SentencePieceBpe s) {
            List<Float> scores = new ArrayList<>(v.size());
            for (int i = 0; i < v.size(); i++) {
                scores.add(s.score(i));
            }
            md.put(SCORES, scores);
        }
        md.put(TOKEN_TYPE, types);
        if (b instanceof ByteLevelBpe bl) {
            List<String> merges = new ArrayList<>(bl.merges().size());
            for (ByteLevelBpe.Merge m : bl.merges()) {
                if (m.left().contains(" ") || m.right().contains(" ")) {
                    throw new TandemException("merge '" + m + "' has a piece with a space, which GGUF's merge lines cannot hold");
                }
                merges.add(m.toString());
            }
            md.put(MERGES, merges);
        }
        SpecialTokens sp = b.specialTokens();
        putId(md, BOS, sp.bos());
        putId(md, EOS, sp.eos());
        putId(md, UNKNOWN, sp.unknown());
        putId(md, PADDING, sp.padding());
        md.put(ADD_BOS, sp.addBos());
        md.put(ADD_EOS, sp.addEos());
        if (b instanceof SentencePieceBpe s) {
            md.put(ADD_SPACE_PREFIX, s.spacePrefix() != SentencePieceBpe.SpacePrefix.NONE);
        }
        if (b.chatTemplate() != null) {
            md.put(CHAT_TEMPLATE, b.chatTemplate());
        }
        return md;
    }

    private static void putId(Map<String, Object> md, String key, int id) {
        if (id >= 0) {
            md.put(key, id);
        }
    }

    private static List<TokenType> types(Map<String, ?> md, List<String> tokens, boolean inferBytes) {
        List<?> raw = list(md, TOKEN_TYPE, false);
        List<TokenType> types = new ArrayList<>(tokens.size());
        if (raw == null) {
            // llama.cpp reads every token as normal then; byte tokens are still found by their spelling
            for (String t : tokens) {
                types.add(inferBytes && Vocabulary.byteValue(t) >= 0 ? TokenType.BYTE : TokenType.NORMAL);
            }
            return types;
        }
        checkLength(TOKEN_TYPE, raw.size(), tokens.size());
        for (int i = 0; i < raw.size(); i++) {
            int code = number(raw.get(i), TOKEN_TYPE).intValue();
            try {
                types.add(TokenType.of(code));
            } catch (TandemException e) {
                throw new TandemException(TOKEN_TYPE + "[" + i + "]: " + e.getMessage());
            }
        }
        return types;
    }

    private static void checkLength(String key, int n, int tokens) {
        if (n != tokens) {
            throw new TandemException(key + " has " + n + " entries but " + TOKENS + " has " + tokens);
        }
    }

    private static List<String> strings(Map<String, ?> md, String key) {
        List<?> l = list(md, key, true);
        List<String> out = new ArrayList<>(l.size());
        for (Object o : l) {
            if (!(o instanceof String s)) {
                throw new TandemException(key + " must hold strings, found " + typeName(o));
            }
            out.add(s);
        }
        return out;
    }

    private static List<?> list(Map<String, ?> md, String key, boolean required) {
        List<?> l = value(md, key, List.class, "an array", null);
        if (required && l == null) {
            throw new TandemException("the GGUF tokenizer metadata has no " + key);
        }
        return l;
    }

    private static String string(Map<String, ?> md, String key, String fallback) {
        return value(md, key, String.class, "a string", fallback);
    }

    private static boolean bool(Map<String, ?> md, String key, boolean fallback) {
        return value(md, key, Boolean.class, "a boolean", fallback);
    }

    /** The value of {@code key}, which must be a {@code type} ({@code typeWords} in the error), or fallback when absent. */
    private static <T> T value(Map<String, ?> md, String key, Class<T> type, String typeWords, T fallback) {
        Object o = md.get(key);
        if (o == null) {
            return fallback;
        }
        if (!type.isInstance(o)) {
            throw new TandemException(key + " must be " + typeWords + ", found " + typeName(o));
        }
        return type.cast(o);
    }

    /** A token id; GGUF writers spell "none" as -1 or as 0xFFFFFFFF in a uint32. */
    private static int id(Map<String, ?> md, String key, int fallback, Vocabulary v) {
        Object o = md.get(key);
        int id = fallback;
        if (o != null) {
            long l = number(o, key).longValue();
            id = l == -1 || l == 0xFFFFFFFFL ? -1 : (int) Math.max(Integer.MIN_VALUE, Math.min(Integer.MAX_VALUE, l));
            if (id < -1 || id >= v.size()) {
                throw new TandemException(key + " = " + l + " is outside the vocabulary of " + v.size() + " tokens");
            }
        }
        return id < v.size() ? id : -1;
    }

    private static Number number(Object o, String key) {
        if (!(o instanceof Number n)) {
            throw new TandemException(key + " must hold numbers, found " + typeName(o));
        }
        return n;
    }

    private static String typeName(Object o) {
        return o == null ? "null" : o.getClass().getSimpleName();
    }
}
