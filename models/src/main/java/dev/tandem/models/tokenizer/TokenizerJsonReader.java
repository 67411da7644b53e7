package dev.tandem.models.tokenizer;

import dev.tandem.core.Shown;
import dev.tandem.core.TandemException;
import dev.tandem.models.io.Json;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Builds a tokenizer from tokenizer.json (and tokenizer_config.json) text (see {@link TokenizerJson}). */
final class TokenizerJsonReader {
    private final Map<String, Object> root;
    private final Map<String, Object> config;

    /** {@code json} and {@code configJson} (null when there is none) as {@link Json#parse} returns them. */
    TokenizerJsonReader(Object json, Object configJson) {
        this.root = object(json, "the file");
        this.config = configJson == null ? null : object(configJson, TokenizerJson.CONFIG_FILE);
    }

    BpeTokenizer read() {
        Map<String, Object> model = object(root.get("model"), "\"model\"");
        Object type = model.get("type");
        if (type == null && model.containsKey("merges")) {
            type = "BPE";
        }
        if (!"BPE".equals(type)) {
            throw new TandemException("tokenizer model type " + Shown.quote(type) + " is not supported; Tandem reads BPE models "
                    + "(byte-level or SentencePiece-style)");
        }
        for (String unsupported : new String[] {"continuing_subword_prefix", "end_of_word_suffix"}) {
            Object v = model.get(unsupported);
            if (v != null && !"".equals(v)) {
                throw new TandemException("BPE with " + unsupported + " " + Shown.quote(v) + " is not supported");
            }
        }
        List<String> pieces = new ArrayList<>();
        Map<Integer, Boolean> added = new HashMap<>(); // id -> special
        readVocab(object(model.get("vocab"), "\"model.vocab\""), pieces);
        readAddedTokens(pieces, added);
        boolean byteFallback = Boolean.TRUE.equals(model.get("byte_fallback"));
        String unkPiece = model.get("unk_token") instanceof String u ? u : null;
        List<ByteLevelBpe.Merge> merges = readMerges(model.get("merges"));
        PreTokenizerSpec pre = new PreTokenizerSpec();
        readPreTokenizer(root.get("pre_tokenizer"), pre);
        SentencePieceBpe.SpacePrefix spm = spmPrefix(root.get("normalizer"), root.get("pre_tokenizer"));
        if (pre.splitAfterSpaces && (pre.byteLevel || !replacesSpaces(root.get("normalizer")))) {
            throw new TandemException("Split pre-tokenizers with behavior 'MergedWithPrevious' are supported only after a "
                    + "normalizer that replaces ' ' with U+2581 (where they split nothing)");
        }
        if (!pre.byteLevel && spm == null) {
            throw new TandemException("the tokenizer is neither byte-level (a ByteLevel pre-tokenizer) nor "
                    + "SentencePiece-style (a Metaspace pre-tokenizer or a normalizer replacing ' ' with U+2581); "
                    + "Tandem reads those two kinds of BPE");
        }
        List<TokenType> types = new ArrayList<>(pieces.size());
        for (int id = 0; id < pieces.size(); id++) {
            String p = pieces.get(id);
            Boolean special = added.get(id);
            if (p.equals(unkPiece)) {
                types.add(TokenType.UNKNOWN);
            } else if (special != null) {
                types.add(special ? TokenType.CONTROL : TokenType.USER_DEFINED);
            } else if (byteFallback && Vocabulary.byteValue(p) >= 0) {
                types.add(TokenType.BYTE);
            } else {
                types.add(TokenType.NORMAL);
            }
        }
        Vocabulary v = new Vocabulary(pieces, types);
        SpecialTokens specials = specialTokens(v, unkPiece);
        String template = chatTemplate();
        if (pre.byteLevel) {
            boolean nfc = readNormalizerNfc(root.get("normalizer"));
            boolean ignoreMerges = Boolean.TRUE.equals(model.get("ignore_merges"));
            return new ByteLevelBpe(v, merges, specials, PreTokenizer.of(pre.stages),
                    new ByteLevelBpe.Options(ignoreMerges, pre.prefixSpace, nfc), template);
        }
        if (!byteFallback) {
            throw new TandemException("a SentencePiece-style BPE without byte_fallback is not supported");
        }
        return new SentencePieceBpe(v, scoresFromMerges(v, merges), specials, spm, template, pairRules(v, merges));
    }

    private void readVocab(Map<String, Object> vocab, List<String> pieces) {
        String[] byId = new String[vocab.size()];
        for (Map.Entry<String, Object> e : vocab.entrySet()) {
            int id = intValue(e.getValue(), "the id of " + Shown.quote(e.getKey()) + " in model.vocab");
            if (id < 0 || id >= byId.length) {
                throw new TandemException("model.vocab gives " + Shown.quote(e.getKey()) + " the id " + id + ", outside 0.."
                        + (byId.length - 1) + " (ids must be dense)");
            }
            if (byId[id] != null) {
                throw new TandemException("model.vocab gives the id " + id + " to both " + Shown.quote(byId[id]) + " and "
                        + Shown.quote(e.getKey()));
            }
            byId[id] = e.getKey();
        }
        pieces.addAll(Arrays.asList(byId));
    }

    private void readAddedTokens(List<String> pieces, Map<Integer, Boolean> added) {
        Object list = root.get("added_tokens");
        if (list == null) {
            return;
        }
        for (Object o : list(list, "\"added_tokens\"")) {
            Map<String, Object> a = object(o, "an entry of added_tokens");
            int id = intValue(a.get("id"), "added_tokens[].id");
            if (!(a.get("content") instanceof String content)) {
                throw new TandemException("added token " + id + " has no content string");
            }
            if (id < 0 || id > 1 << 24) {
                throw new TandemException("added token " + Shown.quote(content) + " has the id " + id);
            }
            while (pieces.size() <= id) {
                pieces.add(null);
            }
            if (pieces.get(id) != null && !pieces.get(id).equals(content)) {
                throw new TandemException("added token " + id + " is " + Shown.quote(content) + " but model.vocab has "
                        + Shown.quote(pieces.get(id)) + " there");
            }
            pieces.set(id, content);
            added.put(id, Boolean.TRUE.equals(a.get("special")));
        }
        for (int i = 0; i < pieces.size(); i++) {
            if (pieces.get(i) == null) {
                throw new TandemException("no token has the id " + i + " (ids must run from 0 without gaps)");
            }
        }
    }

    private static List<ByteLevelBpe.Merge> readMerges(Object merges) {
        List<ByteLevelBpe.Merge> out = new ArrayList<>();
        if (merges == null) {
            return out;
        }
        for (Object m : list(merges, "\"model.merges\"")) {
            if (m instanceof String s) {
                out.add(ByteLevelBpe.Merge.parse(s));
            } else if (m instanceof List<?> pair && pair.size() == 2 && pair.get(0) instanceof String a
                    && pair.get(1) instanceof String b) {
                out.add(new ByteLevelBpe.Merge(a, b));
            } else {
                throw new TandemException("merge " + (out.size() + 1) + " is neither \"a b\" nor [\"a\", \"b\"]: " + m);
            }
        }
        return out;
    }

    /** What the pre_tokenizer entry says: regex stages, whether it is byte-level, ByteLevel's add_prefix_space. */
    private static final class PreTokenizerSpec {
        final List<PreTokenizer.Stage> stages = new ArrayList<>();
        boolean byteLevel;
        boolean prefixSpace;
        boolean splitAfterSpaces; // Split " " MergedWithPrevious
    }

    private static void readPreTokenizer(Object json, PreTokenizerSpec pre) {
        if (json == null) {
            return;
        }
        Map<String, Object> p = object(json, "\"pre_tokenizer\"");
        String type = String.valueOf(p.get("type"));
        switch (type) {
            case "Sequence" -> {
                for (Object o : list(p.get("pretokenizers"), "pre_tokenizer.pretokenizers")) {
                    readPreTokenizer(o, pre);
                }
            }
            case "ByteLevel" -> {
                pre.byteLevel = true;
                pre.prefixSpace = Boolean.TRUE.equals(p.get("add_prefix_space"));
                if (!Boolean.FALSE.equals(p.get("use_regex"))) {
                    pre.stages.add(new PreTokenizer.Stage(PreTokenizer.StageKind.BYTE_LEVEL, PreTokenizer.GPT2_REGEX));
                }
            }
            case "Split" -> {
                Map<String, Object> pattern = object(p.get("pattern"), "the Split pre-tokenizer's pattern");
                String regex = pattern.get("Regex") instanceof String r ? r
                        : pattern.get("String") instanceof String s ? java.util.regex.Pattern.quote(s) : null;
                if (regex == null) {
                    throw new TandemException("the Split pre-tokenizer's pattern is neither Regex nor String");
                }
                if ("MergedWithPrevious".equals(p.get("behavior")) && " ".equals(pattern.get("String"))
                        && !Boolean.TRUE.equals(p.get("invert"))) {
                    // Gemma 3: split after each space. Only meaningful where no normalizer has replaced the spaces
                    // already (then it would need a stage kind of its own); checked once the normalizer is read.
                    pre.splitAfterSpaces = true;
                    return;
                }
                if (!"Isolated".equals(p.get("behavior")) || Boolean.TRUE.equals(p.get("invert"))) {
                    throw new TandemException("Split pre-tokenizers with behavior '" + p.get("behavior") + "'"
                            + (Boolean.TRUE.equals(p.get("invert")) ? " inverted" : "")
                            + " are not supported (only Isolated)");
                }
                pre.stages.add(new PreTokenizer.Stage(PreTokenizer.StageKind.SPLIT, regex));
            }
            case "Digits" -> pre.stages.add(new PreTokenizer.Stage(PreTokenizer.StageKind.DIGITS,
                    Boolean.TRUE.equals(p.get("individual_digits")) ? PreTokenizer.DIGIT_REGEX : "\\p{N}+"));
            case "Metaspace" -> { } // SentencePiece-style: handled by spmPrefix
            default -> throw new TandemException("pre-tokenizer type " + Shown.quote(type) + " is not supported (Tandem reads "
                    + "ByteLevel, Split, Digits, Sequence and Metaspace)");
        }
    }

    /** Whether the normalizer turns every ' ' into U+2581 (SentencePiece style), so no space reaches the pre-tokenizer. */
    private static boolean replacesSpaces(Object normalizer) {
        if (normalizer == null) {
            return false;
        }
        Map<String, Object> n = object(normalizer, "\"normalizer\"");
        List<Object> steps = "Sequence".equals(n.get("type")) ? list(n.get("normalizers"), "normalizer.normalizers") : List.of(n);
        for (Object o : steps) {
            Map<String, Object> step = object(o, "a normalizer");
            if ("Replace".equals(step.get("type")) && step.get("pattern") instanceof Map<?, ?> pat && " ".equals(pat.get("String"))
                    && String.valueOf(SentencePieceBpe.SPACE).equals(step.get("content"))) {
                return true;
            }
        }
        return false;
    }

    /** The dummy-prefix rule of a SentencePiece-style tokenizer, or null when it is not one. */
    private static SentencePieceBpe.SpacePrefix spmPrefix(Object normalizer, Object pre) {
        String space = String.valueOf(SentencePieceBpe.SPACE);
        if (pre instanceof Map<?, ?> p && "Metaspace".equals(p.get("type"))) {
            if (!space.equals(p.get("replacement"))) {
                throw new TandemException("Metaspace with replacement '" + p.get("replacement") + "' is not supported");
            }
            Object scheme = p.get("prepend_scheme");
            if (scheme == null) {
                return Boolean.FALSE.equals(p.get("add_prefix_space")) ? SentencePieceBpe.SpacePrefix.NONE
                        : SentencePieceBpe.SpacePrefix.ALWAYS;
            }
            return switch (String.valueOf(scheme)) {
                case "always" -> SentencePieceBpe.SpacePrefix.ALWAYS;
                case "first" -> SentencePieceBpe.SpacePrefix.FIRST;
                case "never" -> SentencePieceBpe.SpacePrefix.NONE;
                default -> throw new TandemException("Metaspace prepend_scheme " + Shown.quote(scheme) + " is not supported");
            };
        }
        if (normalizer == null) {
            return null;
        }
        List<Object> steps = new ArrayList<>();
        Map<String, Object> n = object(normalizer, "\"normalizer\"");
        if ("Sequence".equals(n.get("type"))) {
            steps.addAll(list(n.get("normalizers"), "normalizer.normalizers"));
        } else {
            steps.add(n);
        }
        boolean replace = false;
        boolean prepend = false;
        for (Object o : steps) {
            Map<String, Object> s = object(o, "a normalizer");
            if ("Replace".equals(s.get("type")) && s.get("pattern") instanceof Map<?, ?> pat
                    && " ".equals(pat.get("String")) && space.equals(s.get("content"))) {
                replace = true;
            } else if ("Prepend".equals(s.get("type")) && space.equals(s.get("prepend"))) {
                prepend = true;
            }
        }
        if (!replace) {
            return null;
        }
        return prepend ? SentencePieceBpe.SpacePrefix.ALWAYS : SentencePieceBpe.SpacePrefix.NONE;
    }

    /** Whether a byte-level tokenizer's normalizer is NFC; other normalizers are refused. */
    private static boolean readNormalizerNfc(Object normalizer) {
        if (normalizer == null) {
            return false;
        }
        Map<String, Object> n = object(normalizer, "\"normalizer\"");
        if ("NFC".equals(n.get("type"))) {
            return true;
        }
        if ("Sequence".equals(n.get("type")) && list(n.get("normalizers"), "normalizer.normalizers").isEmpty()) {
            return false;
        }
        throw new TandemException("normalizer '" + n.get("type") + "' is not supported for byte-level BPE (only NFC)");
    }

    /** The merges pair by pair, with their rank: how Hugging Face's BPE applies them. */
    private static PairMap pairRules(Vocabulary v, List<ByteLevelBpe.Merge> merges) {
        PairMap rules = new PairMap(merges.size());
        for (int r = 0; r < merges.size(); r++) {
            ByteLevelBpe.Merge m = merges.get(r);
            rules.putIfAbsent(v.id(m.left()), v.id(m.right()), r, v.id(m.left() + m.right())); // checked by scoresFromMerges
        }
        return rules;
    }

    private static float[] scoresFromMerges(Vocabulary v, List<ByteLevelBpe.Merge> merges) {
        float[] scores = new float[v.size()];
        float never = -(merges.size() + 1);
        Arrays.fill(scores, never);
        boolean[] seen = new boolean[v.size()];
        for (int r = 0; r < merges.size(); r++) {
            ByteLevelBpe.Merge m = merges.get(r);
            int id = v.id(m.left() + m.right());
            if (id < 0 || v.id(m.left()) < 0 || v.id(m.right()) < 0) {
                throw new TandemException("merge rule " + (r + 1) + " " + Shown.quote(m) + " has a piece that is not in the vocabulary");
            }
            if (!seen[id]) {
                seen[id] = true;
                scores[id] = -r;
            }
        }
        for (int id = 0; id < v.size(); id++) {
            if (v.type(id) != TokenType.NORMAL) {
                scores[id] = 0;
            }
        }
        return scores;
    }

    private SpecialTokens specialTokens(Vocabulary v, String unkPiece) {
        int unk = unkPiece == null ? -1 : v.id(unkPiece);
        Object pp = root.get("post_processor");
        int[] template = templateSpecials(pp, v); // {bos or -1, eos or -1}
        int bos = configToken(v, "bos_token", template[0]);
        int eos = configToken(v, "eos_token", template[1] >= 0 ? template[1] : guessEos(v));
        int pad = configToken(v, "pad_token", -1);
        boolean addBos = configFlag("add_bos_token", template[0] >= 0) && bos >= 0;
        boolean addEos = configFlag("add_eos_token", template[1] >= 0) && eos >= 0;
        return new SpecialTokens(bos, eos, unk, pad, addBos, addEos);
    }

    private static int guessEos(Vocabulary v) {
        for (String p : List.of("</s>", "<|end_of_text|>", "<|endoftext|>")) {
            int id = v.id(p);
            if (id >= 0 && v.type(id) == TokenType.CONTROL) {
                return id;
            }
        }
        return -1;
    }

    /** BOS and EOS as a TemplateProcessing post-processor adds them around a single sequence. */
    private static int[] templateSpecials(Object pp, Vocabulary v) {
        int[] out = {-1, -1};
        if (!(pp instanceof Map<?, ?> p)) {
            return out;
        }
        if ("Sequence".equals(p.get("type")) && p.get("processors") instanceof List<?> l) {
            for (Object o : l) {
                int[] inner = templateSpecials(o, v);
                out[0] = Math.max(out[0], inner[0]);
                out[1] = Math.max(out[1], inner[1]);
            }
            return out;
        }
        if (!"TemplateProcessing".equals(p.get("type")) || !(p.get("single") instanceof List<?> single)) {
            return out;
        }
        boolean seenSequence = false;
        for (Object o : single) {
            if (o instanceof Map<?, ?> item && item.get("SpecialToken") instanceof Map<?, ?> st
                    && st.get("id") instanceof String piece) {
                int id = v.id(piece);
                if (id < 0) {
                    throw new TandemException("the post-processor adds " + Shown.quote(piece) + ", which is not in the vocabulary");
                }
                out[seenSequence ? 1 : 0] = id;
            } else if (o instanceof Map<?, ?> item && item.containsKey("Sequence")) {
                seenSequence = true;
            }
        }
        return out;
    }

    private int configToken(Vocabulary v, String key, int fallback) {
        if (config == null || !config.containsKey(key)) {
            return fallback;
        }
        Object t = config.get(key);
        if (t instanceof Map<?, ?> m) {
            t = m.get("content");
        }
        if (t == null) {
            return -1;
        }
        if (!(t instanceof String piece)) {
            throw new TandemException(TokenizerJson.CONFIG_FILE + ": " + key + " is not a string");
        }
        int id = v.id(piece);
        if (id < 0) {
            throw new TandemException(TokenizerJson.CONFIG_FILE + ": " + key + " " + Shown.quote(piece) + " is not in the vocabulary");
        }
        return id;
    }

    private boolean configFlag(String key, boolean fallback) {
        return config != null && config.get(key) instanceof Boolean b ? b : fallback;
    }

    private String chatTemplate() {
        if (config == null) {
            return null;
        }
        Object t = config.get("chat_template");
        if (t instanceof String s) {
            return s;
        }
        if (t instanceof List<?> named) {
            String first = null;
            for (Object o : named) {
                if (o instanceof Map<?, ?> m && m.get("template") instanceof String s) {
                    if ("default".equals(m.get("name"))) {
                        return s;
                    }
                    first = first == null ? s : first;
                }
            }
            return first;
        }
        return null;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> object(Object o, String what) {
        if (!(o instanceof Map<?, ?>)) {
            throw new TandemException(what + " is not a JSON object");
        }
        return (Map<String, Object>) o;
    }

    @SuppressWarnings("unchecked")
    private static List<Object> list(Object o, String what) {
        if (!(o instanceof List<?>)) {
            throw new TandemException(what + " is not a JSON array");
        }
        return (List<Object>) o;
    }

    private static int intValue(Object o, String what) {
        if (!(o instanceof Number n) || n.doubleValue() != Math.rint(n.doubleValue())) {
            throw new TandemException(what + " is not an integer: " + o);
        }
        return n.intValue();
    }
}
