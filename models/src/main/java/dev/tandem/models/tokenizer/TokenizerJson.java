package dev.tandem.models.tokenizer;

import dev.tandem.core.TandemException;
import dev.tandem.models.Llama2cTokenizer;
import dev.tandem.models.Tokenizer;
import dev.tandem.models.io.Json;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
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
        String json = readText(file, "tokenizer file");
        Path config = file.toAbsolutePath().getParent() == null ? null : file.toAbsolutePath().getParent().resolve(CONFIG_FILE);
        String configJson = config != null && Files.isRegularFile(config) ? readText(config, "tokenizer config") : null;
        return parse(json, configJson, file.toString());
    }

    private static String readText(Path p, String what) {
        try {
            return Files.readString(p, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new TandemException(what + " not found: " + p);
        } catch (IOException e) {
            throw new TandemException("cannot read " + what + " " + p + ": " + e.getMessage(), e);
        }
    }

    /**
     * A tokenizer from tokenizer.json text and tokenizer_config.json text (null when there is none);
     * {@code where} names the source in errors.
     */
    public static BpeTokenizer parse(String tokenizerJson, String configJson, String where) {
        try {
            return new Reader(tokenizerJson, configJson).read();
        } catch (TandemException e) {
            throw new TandemException(where + ": " + e.getMessage(), e);
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

    // ---------------------------------------------------------------- writing

    /** The tokenizer.json object of a tokenizer. */
    public static Map<String, Object> toJson(BpeTokenizer t) {
        Vocabulary v = t.vocabulary();
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("version", "1.0");
        root.put("truncation", null);
        root.put("padding", null);
        List<Object> added = new ArrayList<>();
        for (int id = 0; id < v.size(); id++) {
            TokenType type = v.type(id);
            if (type == TokenType.CONTROL || type == TokenType.USER_DEFINED || type == TokenType.UNKNOWN) {
                Map<String, Object> a = new LinkedHashMap<>();
                a.put("id", id);
                a.put("content", v.piece(id));
                a.put("single_word", false);
                a.put("lstrip", false);
                a.put("rstrip", false);
                a.put("normalized", false);
                a.put("special", type != TokenType.USER_DEFINED);
                added.add(a);
            }
        }
        root.put("added_tokens", added);
        Map<String, Object> model = new LinkedHashMap<>();
        model.put("type", "BPE");
        model.put("dropout", null);
        int unk = t.specialTokens().unknown();
        model.put("unk_token", unk >= 0 ? v.piece(unk) : null);
        model.put("continuing_subword_prefix", null);
        model.put("end_of_word_suffix", null);
        switch (t) {
            case SentencePieceBpe s -> {
                root.put("normalizer", spmNormalizer(s));
                root.put("pre_tokenizer", null);
                root.put("post_processor", postProcessor(t, null));
                root.put("decoder", spmDecoder(s));
                model.put("fuse_unk", true);
                model.put("byte_fallback", true);
                model.put("ignore_merges", false);
                model.put("vocab", vocabJson(v));
                model.put("merges", mergesJson(spmMerges(s)));
            }
            case ByteLevelBpe b -> {
                root.put("normalizer", b.options().nfc() ? Map.of("type", "NFC") : null);
                root.put("pre_tokenizer", preTokenizerJson(b));
                root.put("post_processor", postProcessor(t, byteLevel(true, false, true)));
                root.put("decoder", byteLevel(true, true, true));
                model.put("fuse_unk", false);
                model.put("byte_fallback", v.hasByteTokens());
                model.put("ignore_merges", b.options().ignoreMerges());
                model.put("vocab", vocabJson(v));
                model.put("merges", mergesJson(b.merges()));
            }
        }
        root.put("model", model);
        return root;
    }

    /** The tokenizer_config.json object of a tokenizer. */
    public static Map<String, Object> configJson(BpeTokenizer t) {
        SpecialTokens s = t.specialTokens();
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("add_bos_token", s.addBos());
        c.put("add_eos_token", s.addEos());
        c.put("bos_token", s.bos() >= 0 ? t.piece(s.bos()) : null);
        c.put("eos_token", s.eos() >= 0 ? t.piece(s.eos()) : null);
        c.put("unk_token", s.unknown() >= 0 ? t.piece(s.unknown()) : null);
        c.put("pad_token", s.padding() >= 0 ? t.piece(s.padding()) : null);
        c.put("clean_up_tokenization_spaces", false);
        if (t instanceof SentencePieceBpe) {
            c.put("legacy", true);
        }
        c.put("tokenizer_class", "PreTrainedTokenizerFast");
        if (t.chatTemplate() != null) {
            c.put("chat_template", t.chatTemplate());
        }
        return c;
    }

    private static Map<String, Object> vocabJson(Vocabulary v) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int id = 0; id < v.size(); id++) {
            Object before = m.put(v.piece(id), id);
            if (before != null) {
                throw new TandemException("the piece '" + v.piece(id) + "' is both token " + before + " and token " + id
                        + "; tokenizer.json cannot hold a vocabulary with duplicate pieces");
            }
        }
        return m;
    }

    private static List<Object> mergesJson(List<ByteLevelBpe.Merge> merges) {
        boolean pairs = merges.stream().anyMatch(m -> m.left().contains(" ") || m.right().contains(" "));
        List<Object> out = new ArrayList<>(merges.size());
        for (ByteLevelBpe.Merge m : merges) {
            out.add(pairs ? List.of(m.left(), m.right()) : m.toString());
        }
        return out;
    }

    /** Hugging Face's SentencePiece merges: each piece's splits into two scored pieces, by descending score. */
    static List<ByteLevelBpe.Merge> spmMerges(SentencePieceBpe s) {
        Vocabulary v = s.vocabulary();
        List<int[]> found = new ArrayList<>(); // {piece, left, right}
        for (int id = 0; id < v.size(); id++) {
            if (v.type(id) != TokenType.NORMAL) {
                continue;
            }
            String p = v.piece(id);
            List<int[]> local = new ArrayList<>();
            for (int cut = 1; cut < p.length(); cut++) {
                if (Character.isLowSurrogate(p.charAt(cut))) {
                    continue;
                }
                int l = v.id(p.substring(0, cut));
                int r = v.id(p.substring(cut));
                if (l >= 0 && r >= 0 && mergeable(v.type(l)) && mergeable(v.type(r))) {
                    local.add(new int[] {id, l, r});
                }
            }
            local.sort(Comparator.<int[]>comparingInt(a -> a[1]).thenComparingInt(a -> a[2]));
            found.addAll(local);
        }
        found.sort(Comparator.comparingDouble(a -> -s.score(a[0]))); // stable: ties keep vocabulary order
        List<ByteLevelBpe.Merge> merges = new ArrayList<>(found.size());
        for (int[] f : found) {
            merges.add(new ByteLevelBpe.Merge(v.piece(f[1]), v.piece(f[2])));
        }
        return merges;
    }

    private static boolean mergeable(TokenType t) {
        return t == TokenType.NORMAL || t == TokenType.USER_DEFINED;
    }

    private static Object spmNormalizer(SentencePieceBpe s) {
        Map<String, Object> replace = new LinkedHashMap<>();
        replace.put("type", "Replace");
        replace.put("pattern", Map.of("String", " "));
        replace.put("content", String.valueOf(SentencePieceBpe.SPACE));
        List<Object> steps = new ArrayList<>();
        if (s.spacePrefix() == SentencePieceBpe.SpacePrefix.ALWAYS) {
            Map<String, Object> prepend = new LinkedHashMap<>();
            prepend.put("type", "Prepend");
            prepend.put("prepend", String.valueOf(SentencePieceBpe.SPACE));
            steps.add(prepend);
        } else if (s.spacePrefix() == SentencePieceBpe.SpacePrefix.FIRST) {
            throw new TandemException("a SentencePiece tokenizer that adds the dummy prefix only at the start of the "
                    + "input cannot be written in the Llama-2 tokenizer.json form");
        }
        steps.add(replace);
        Map<String, Object> seq = new LinkedHashMap<>();
        seq.put("type", "Sequence");
        seq.put("normalizers", steps);
        return seq;
    }

    private static Object spmDecoder(SentencePieceBpe s) {
        Map<String, Object> replace = new LinkedHashMap<>();
        replace.put("type", "Replace");
        replace.put("pattern", Map.of("String", String.valueOf(SentencePieceBpe.SPACE)));
        replace.put("content", " ");
        Map<String, Object> strip = new LinkedHashMap<>();
        strip.put("type", "Strip");
        strip.put("content", " ");
        strip.put("start", s.spacePrefix() == SentencePieceBpe.SpacePrefix.NONE ? 0 : 1);
        strip.put("stop", 0);
        Map<String, Object> seq = new LinkedHashMap<>();
        seq.put("type", "Sequence");
        seq.put("decoders", List.of(replace, Map.of("type", "ByteFallback"), Map.of("type", "Fuse"), strip));
        return seq;
    }

    private static Map<String, Object> byteLevel(boolean addPrefixSpace, boolean trimOffsets, boolean useRegex) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("type", "ByteLevel");
        m.put("add_prefix_space", addPrefixSpace);
        m.put("trim_offsets", trimOffsets);
        m.put("use_regex", useRegex);
        return m;
    }

    private static Object preTokenizerJson(ByteLevelBpe b) {
        List<Object> steps = new ArrayList<>();
        boolean byteLevelStage = false;
        for (PreTokenizer.Stage s : b.preTokenizer().stages()) {
            switch (s.kind()) {
                case BYTE_LEVEL -> {
                    steps.add(byteLevel(b.options().addPrefixSpace(), true, true));
                    byteLevelStage = true;
                }
                case DIGITS -> {
                    Map<String, Object> d = new LinkedHashMap<>();
                    d.put("type", "Digits");
                    d.put("individual_digits", s.regex().equals(PreTokenizer.DIGIT_REGEX));
                    steps.add(d);
                }
                case SPLIT -> {
                    Map<String, Object> split = new LinkedHashMap<>();
                    split.put("type", "Split");
                    split.put("pattern", Map.of("Regex", s.regex()));
                    split.put("behavior", "Isolated");
                    split.put("invert", false);
                    steps.add(split);
                }
            }
        }
        if (!byteLevelStage) {
            steps.add(byteLevel(b.options().addPrefixSpace(), true, false));
        }
        if (steps.size() == 1) {
            return steps.get(0);
        }
        Map<String, Object> seq = new LinkedHashMap<>();
        seq.put("type", "Sequence");
        seq.put("pretokenizers", steps);
        return seq;
    }

    /** A TemplateProcessing that adds BOS/EOS as the tokenizer does, or {@code otherwise} when it adds neither. */
    private static Object postProcessor(BpeTokenizer t, Object otherwise) {
        SpecialTokens s = t.specialTokens();
        if (!s.addBos() && !s.addEos()) {
            return otherwise;
        }
        List<Object> single = new ArrayList<>();
        List<Object> pair = new ArrayList<>();
        Map<String, Object> specials = new LinkedHashMap<>();
        for (int typeId = 0; typeId < 2; typeId++) {
            List<Object> target = typeId == 0 ? single : pair;
            if (typeId == 1) {
                pair.addAll(single);
            }
            if (s.addBos()) {
                target.add(Map.of("SpecialToken", Map.of("id", t.piece(s.bos()), "type_id", typeId)));
            }
            target.add(Map.of("Sequence", Map.of("id", typeId == 0 ? "A" : "B", "type_id", typeId)));
            if (s.addEos()) {
                target.add(Map.of("SpecialToken", Map.of("id", t.piece(s.eos()), "type_id", typeId)));
            }
        }
        for (int id : new int[] {s.addBos() ? s.bos() : -1, s.addEos() ? s.eos() : -1}) {
            if (id >= 0) {
                Map<String, Object> e = new LinkedHashMap<>();
                e.put("id", t.piece(id));
                e.put("ids", List.of(id));
                e.put("tokens", List.of(t.piece(id)));
                specials.put(t.piece(id), e);
            }
        }
        Map<String, Object> p = new LinkedHashMap<>();
        p.put("type", "TemplateProcessing");
        p.put("single", single);
        p.put("pair", pair);
        p.put("special_tokens", specials);
        return p;
    }

    // ---------------------------------------------------------------- reading

    private static final class Reader {
        private final Map<String, Object> root;
        private final Map<String, Object> config;

        Reader(String json, String configJson) {
            this.root = object(Json.parse(json), "the file");
            this.config = configJson == null ? null : object(Json.parse(configJson), CONFIG_FILE);
        }

        BpeTokenizer read() {
            Map<String, Object> model = object(root.get("model"), "\"model\"");
            Object type = model.get("type");
            if (type == null && model.containsKey("merges")) {
                type = "BPE";
            }
            if (!"BPE".equals(type)) {
                throw new TandemException("tokenizer model type '" + type + "' is not supported; Tandem reads BPE models "
                        + "(byte-level or SentencePiece-style)");
            }
            for (String unsupported : new String[] {"continuing_subword_prefix", "end_of_word_suffix"}) {
                Object v = model.get(unsupported);
                if (v != null && !"".equals(v)) {
                    throw new TandemException("BPE with " + unsupported + " '" + v + "' is not supported");
                }
            }
            List<String> pieces = new ArrayList<>();
            Map<Integer, Boolean> added = new HashMap<>(); // id -> special
            readVocab(object(model.get("vocab"), "\"model.vocab\""), pieces);
            readAddedTokens(pieces, added);
            boolean byteFallback = Boolean.TRUE.equals(model.get("byte_fallback"));
            String unkPiece = model.get("unk_token") instanceof String u ? u : null;
            List<ByteLevelBpe.Merge> merges = readMerges(model.get("merges"));
            List<PreTokenizer.Stage> stages = new ArrayList<>();
            boolean[] byteLevel = new boolean[1];
            boolean[] prefixSpace = new boolean[1];
            readPreTokenizer(root.get("pre_tokenizer"), stages, byteLevel, prefixSpace);
            SentencePieceBpe.SpacePrefix spm = spmPrefix(root.get("normalizer"), root.get("pre_tokenizer"));
            if (!byteLevel[0] && spm == null) {
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
            if (byteLevel[0]) {
                boolean nfc = readNormalizerNfc(root.get("normalizer"));
                boolean ignoreMerges = Boolean.TRUE.equals(model.get("ignore_merges"));
                return new ByteLevelBpe(v, merges, specials, PreTokenizer.of(stages),
                        new ByteLevelBpe.Options(ignoreMerges, prefixSpace[0], nfc), template);
            }
            if (!byteFallback) {
                throw new TandemException("a SentencePiece-style BPE without byte_fallback is not supported");
            }
            return new SentencePieceBpe(v, scoresFromMerges(v, merges), specials, spm, template);
        }

        private void readVocab(Map<String, Object> vocab, List<String> pieces) {
            String[] byId = new String[vocab.size()];
            for (Map.Entry<String, Object> e : vocab.entrySet()) {
                int id = intValue(e.getValue(), "the id of '" + e.getKey() + "' in model.vocab");
                if (id < 0 || id >= byId.length) {
                    throw new TandemException("model.vocab gives '" + e.getKey() + "' the id " + id + ", outside 0.."
                            + (byId.length - 1) + " (ids must be dense)");
                }
                if (byId[id] != null) {
                    throw new TandemException("model.vocab gives the id " + id + " to both '" + byId[id] + "' and '"
                            + e.getKey() + "'");
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
                    throw new TandemException("added token '" + content + "' has the id " + id);
                }
                while (pieces.size() <= id) {
                    pieces.add(null);
                }
                if (pieces.get(id) != null && !pieces.get(id).equals(content)) {
                    throw new TandemException("added token " + id + " is '" + content + "' but model.vocab has '"
                            + pieces.get(id) + "' there");
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

        private static void readPreTokenizer(Object pre, List<PreTokenizer.Stage> stages, boolean[] byteLevel,
                                             boolean[] prefixSpace) {
            if (pre == null) {
                return;
            }
            Map<String, Object> p = object(pre, "\"pre_tokenizer\"");
            String type = String.valueOf(p.get("type"));
            switch (type) {
                case "Sequence" -> {
                    for (Object o : list(p.get("pretokenizers"), "pre_tokenizer.pretokenizers")) {
                        readPreTokenizer(o, stages, byteLevel, prefixSpace);
                    }
                }
                case "ByteLevel" -> {
                    byteLevel[0] = true;
                    prefixSpace[0] = Boolean.TRUE.equals(p.get("add_prefix_space"));
                    if (!Boolean.FALSE.equals(p.get("use_regex"))) {
                        stages.add(new PreTokenizer.Stage(PreTokenizer.StageKind.BYTE_LEVEL, PreTokenizer.GPT2_REGEX));
                    }
                }
                case "Split" -> {
                    Map<String, Object> pattern = object(p.get("pattern"), "the Split pre-tokenizer's pattern");
                    String regex = pattern.get("Regex") instanceof String r ? r
                            : pattern.get("String") instanceof String s ? java.util.regex.Pattern.quote(s) : null;
                    if (regex == null) {
                        throw new TandemException("the Split pre-tokenizer's pattern is neither Regex nor String");
                    }
                    if (!"Isolated".equals(p.get("behavior")) || Boolean.TRUE.equals(p.get("invert"))) {
                        throw new TandemException("Split pre-tokenizers with behavior '" + p.get("behavior") + "'"
                                + (Boolean.TRUE.equals(p.get("invert")) ? " inverted" : "")
                                + " are not supported (only Isolated)");
                    }
                    stages.add(new PreTokenizer.Stage(PreTokenizer.StageKind.SPLIT, regex));
                }
                case "Digits" -> stages.add(new PreTokenizer.Stage(PreTokenizer.StageKind.DIGITS,
                        Boolean.TRUE.equals(p.get("individual_digits")) ? PreTokenizer.DIGIT_REGEX : "\\p{N}+"));
                case "Metaspace" -> { } // SentencePiece-style: handled by spmPrefix
                default -> throw new TandemException("pre-tokenizer type '" + type + "' is not supported (Tandem reads "
                        + "ByteLevel, Split, Digits, Sequence and Metaspace)");
            }
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
                    default -> throw new TandemException("Metaspace prepend_scheme '" + scheme + "' is not supported");
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

        private static float[] scoresFromMerges(Vocabulary v, List<ByteLevelBpe.Merge> merges) {
            float[] scores = new float[v.size()];
            float never = -(merges.size() + 1);
            Arrays.fill(scores, never);
            boolean[] seen = new boolean[v.size()];
            for (int r = 0; r < merges.size(); r++) {
                ByteLevelBpe.Merge m = merges.get(r);
                int id = v.id(m.left() + m.right());
                if (id < 0 || v.id(m.left()) < 0 || v.id(m.right()) < 0) {
                    throw new TandemException("merge rule " + (r + 1) + " '" + m + "' has a piece that is not in the vocabulary");
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
                        throw new TandemException("the post-processor adds '" + piece + "', which is not in the vocabulary");
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
                throw new TandemException(CONFIG_FILE + ": " + key + " is not a string");
            }
            int id = v.id(piece);
            if (id < 0) {
                throw new TandemException(CONFIG_FILE + ": " + key + " '" + piece + "' is not in the vocabulary");
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
