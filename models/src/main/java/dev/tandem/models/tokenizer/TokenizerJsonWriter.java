package dev.tandem.models.tokenizer;

import dev.tandem.core.TandemException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The tokenizer.json and tokenizer_config.json objects of a tokenizer (see {@link TokenizerJson}). */
final class TokenizerJsonWriter {
    private TokenizerJsonWriter() {}

    /** The tokenizer.json object of a tokenizer. */
    static Map<String, Object> toJson(BpeTokenizer t) {
        Vocabulary v = t.vocabulary();
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("version", "1.0");
        root.put("truncation", null);
        root.put("padding", null);
        List<Object> added = new ArrayList<>();
        for (int id = 0; id < v.size(); id++) {
            TokenType type = v.type(id);
            if (type == TokenType.CONTROL || type == TokenType.USER_DEFINED || type == TokenType.UNKNOWN) {
                added.add(object("id", id, "content", v.piece(id), "single_word", false, "lstrip", false, "rstrip", false,
                        "normalized", false, "special", type != TokenType.USER_DEFINED));
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
    static Map<String, Object> configJson(BpeTokenizer t) {
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
        Map<String, Object> replace = object("type", "Replace", "pattern", Map.of("String", " "),
                "content", String.valueOf(SentencePieceBpe.SPACE));
        List<Object> steps = new ArrayList<>();
        if (s.spacePrefix() == SentencePieceBpe.SpacePrefix.ALWAYS) {
            steps.add(object("type", "Prepend", "prepend", String.valueOf(SentencePieceBpe.SPACE)));
        } else if (s.spacePrefix() == SentencePieceBpe.SpacePrefix.FIRST) {
            throw new TandemException("a SentencePiece tokenizer that adds the dummy prefix only at the start of the "
                    + "input cannot be written in the Llama-2 tokenizer.json form");
        }
        steps.add(replace);
        return object("type", "Sequence", "normalizers", steps);
    }

    private static Object spmDecoder(SentencePieceBpe s) {
        Object replace = object("type", "Replace", "pattern", Map.of("String", String.valueOf(SentencePieceBpe.SPACE)), "content", " ");
        Object strip = object("type", "Strip", "content", " ", "start", s.spacePrefix() == SentencePieceBpe.SpacePrefix.NONE ? 0 : 1, "stop", 0);
        return object("type", "Sequence", "decoders", List.of(replace, Map.of("type", "ByteFallback"), Map.of("type", "Fuse"), strip));
    }

    private static Map<String, Object> byteLevel(boolean addPrefixSpace, boolean trimOffsets, boolean useRegex) {
        return object("type", "ByteLevel", "add_prefix_space", addPrefixSpace, "trim_offsets", trimOffsets, "use_regex", useRegex);
    }

    /** A JSON object with these keys and values, in this order (values may be null). */
    private static Map<String, Object> object(Object... keysAndValues) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < keysAndValues.length; i += 2) {
            m.put((String) keysAndValues[i], keysAndValues[i + 1]);
        }
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
                    steps.add(object("type", "Digits", "individual_digits", s.regex().equals(PreTokenizer.DIGIT_REGEX)));
                }
                case SPLIT -> {
                    steps.add(object("type", "Split", "pattern", Map.of("Regex", s.regex()), "behavior", "Isolated", "invert", false));
                }
            }
        }
        if (!byteLevelStage) {
            steps.add(byteLevel(b.options().addPrefixSpace(), true, false));
        }
        if (steps.size() == 1) {
            return steps.get(0);
        }
        return object("type", "Sequence", "pretokenizers", steps);
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
        return object("type", "TemplateProcessing", "single", single, "pair", pair, "special_tokens", specials);
    }
}
