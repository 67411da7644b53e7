package dev.tandem.models.tokenizer;

import dev.tandem.core.TandemException;
import dev.tandem.models.Llama2cTokenizer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.stream.IntStream;

/**
 * SentencePiece-style BPE (GGUF {@code tokenizer.ggml.model = "llama"}: Llama 1/2, TinyLlama, Mistral v0.1,
 * llama2.c's stories models). Spaces are spelled U+2581 and the text gets a leading one (the dummy prefix);
 * the text starts as one symbol per code point, then the adjacent pair whose concatenation is the
 * best-scoring normal piece is merged, again and again (leftmost on ties), as SentencePiece, llama.cpp and
 * llama2.c do. A code point without a piece becomes its UTF-8 bytes' {@code <0xXX>} tokens (byte fallback),
 * or the unknown token when the vocabulary has no byte tokens; like llama2.c and Hugging Face (and unlike
 * llama.cpp, which falls back after merging) such a code point takes no part in merges, which matters only
 * for vocabularies with pieces that contain characters that are not pieces themselves.
 */
public final class SentencePieceBpe extends BpeTokenizer {
    /** SentencePiece's visible space. */
    public static final char SPACE = '\u2581';

    /** When a run of text gets the dummy-prefix space. */
    public enum SpacePrefix {
        /** never */
        NONE,
        /** only at the very start of the input (Hugging Face Metaspace's {@code prepend_scheme: first}) */
        FIRST,
        /** at the start and after every special token (llama.cpp, and the Llama-2 tokenizer.json normalizer) */
        ALWAYS
    }

    private final float[] scores;
    private final SpacePrefix spacePrefix;
    private final int[] mergeRank; // per token: 0 for the best score (equal scores, equal rank); -1: never merged into
    private final PairMap pairRules; // tokenizer.json's merges, pair by pair; null: merge by the scores of the result

    /**
     * @param scores one per token; higher merges first
     */
    public SentencePieceBpe(Vocabulary vocab, float[] scores, SpecialTokens specials, SpacePrefix spacePrefix,
                            String chatTemplate) {
        this(vocab, scores, specials, spacePrefix, chatTemplate, null);
    }

    /**
     * @param pairRules when non-null, two symbols merge only by a rule for that very pair, best rank first, as
     *     Hugging Face's BPE does with a tokenizer.json's merges; SentencePiece (and GGUF) merge any two symbols
     *     whose concatenation is a piece, best score first. The two differ where a piece's first merge rule is
     *     not the pair that meets in the text (Gemma 3: "▁" + "space" vs "▁▁" + "space").
     */
    SentencePieceBpe(Vocabulary vocab, float[] scores, SpecialTokens specials, SpacePrefix spacePrefix, String chatTemplate,
                     PairMap pairRules) {
        super(vocab, specials, chatTemplate);
        this.pairRules = pairRules;
        if (scores.length != vocab.size()) {
            throw new TandemException("the vocabulary has " + vocab.size() + " tokens but " + scores.length + " scores");
        }
        this.scores = scores.clone();
        this.spacePrefix = spacePrefix;
        this.mergeRank = new int[scores.length];
        Arrays.fill(mergeRank, -1);
        Integer[] order = IntStream.range(0, scores.length).filter(i -> vocab.type(i) == TokenType.NORMAL)
                .boxed().toArray(Integer[]::new);
        Arrays.sort(order, Comparator.comparingDouble(i -> -this.scores[i]));
        int rank = -1;
        for (int k = 0; k < order.length; k++) {
            if (k == 0 || Float.compare(this.scores[order[k]], this.scores[order[k - 1]]) != 0) {
                rank++;
            }
            mergeRank[order[k]] = rank;
        }
    }

    /** The vocabulary of a llama2.c tokenizer file as SentencePiece metadata (see {@link #fromLlama2c(Llama2cTokenizer)}). */
    public static SentencePieceBpe fromLlama2c(Path tokenizerBin) {
        return fromLlama2c(Llama2cTokenizer.load(tokenizerBin, 0));
    }

    /**
     * The same vocabulary as SentencePiece metadata, the way llama.cpp's llama2.c converter writes it:
     * spaces become U+2581, {@code <unk>} is the unknown token, BOS/EOS ({@code "\n<s>\n"}, {@code "\n</s>\n"}
     * in llama2.c files) become control tokens {@code <s>}/{@code </s>}, {@code <0xXX>} pieces byte tokens,
     * the scores are kept. It encodes and decodes exactly as the llama2.c tokenizer does.
     */
    public static SentencePieceBpe fromLlama2c(Llama2cTokenizer t) {
        int n = t.vocabSize();
        List<String> pieces = new ArrayList<>(n);
        List<TokenType> types = new ArrayList<>(n);
        float[] scores = new float[n];
        for (int i = 0; i < n; i++) {
            String p = t.piece(i);
            scores[i] = t.score(i);
            if (i == Llama2cTokenizer.BOS || i == Llama2cTokenizer.EOS) {
                pieces.add(p.strip());
                types.add(TokenType.CONTROL);
            } else if (p.equals("<unk>")) {
                pieces.add(p);
                types.add(TokenType.UNKNOWN);
            } else if (Vocabulary.byteValue(p) >= 0) {
                pieces.add(p);
                types.add(TokenType.BYTE);
            } else {
                pieces.add(p.replace(' ', SPACE));
                types.add(TokenType.NORMAL);
            }
        }
        Vocabulary v = new Vocabulary(pieces, types);
        int unk = v.id("<unk>");
        return new SentencePieceBpe(v, scores, new SpecialTokens(Llama2cTokenizer.BOS, Llama2cTokenizer.EOS,
                unk >= 0 && v.type(unk) == TokenType.UNKNOWN ? unk : -1, -1, true, false), SpacePrefix.ALWAYS, null);
    }

    public float score(int token) {
        return scores[token];
    }

    public float[] scores() {
        return scores.clone();
    }

    public SpacePrefix spacePrefix() {
        return spacePrefix;
    }

    @Override
    public SentencePieceBpe padTo(int n) {
        if (n <= vocab.size()) {
            return this;
        }
        return new SentencePieceBpe(vocab.padTo(n), Arrays.copyOf(scores, n), specials, spacePrefix, chatTemplate(), pairRules);
    }

    @Override
    public SentencePieceBpe withChatTemplate(String template) {
        return new SentencePieceBpe(vocab, scores, specials, spacePrefix, template, pairRules);
    }

    /** This tokenizer with other special tokens. */
    public SentencePieceBpe withSpecialTokens(SpecialTokens s) {
        return new SentencePieceBpe(vocab, scores, s, spacePrefix, chatTemplate(), pairRules);
    }

    @Override
    void encodeText(String text, boolean atStart, boolean afterSpecial, TokenList out) {
        boolean prefix = switch (spacePrefix) {
            case NONE -> false;
            case FIRST -> atStart;
            case ALWAYS -> atStart || afterSpecial;
        };
        String s = (prefix ? String.valueOf(SPACE) : "") + text.replace(' ', SPACE);
        int n = s.codePointCount(0, s.length());
        int[] start = new int[n];
        int[] end = new int[n];
        int[] id = new int[n];
        for (int k = 0, at = 0; k < n; k++) {
            int len = Character.charCount(s.codePointAt(at));
            start[k] = at;
            end[k] = at + len;
            int t = vocab.id(s.substring(at, at + len));
            id[k] = t >= 0 && (vocab.type(t) == TokenType.NORMAL || vocab.type(t) == TokenType.USER_DEFINED) ? t : -1;
            at += len;
        }
        int[] next = PairMerge.run(0, n, new PairMerge.Symbols() {
            @Override
            public long rule(int i, int j) {
                if (pairRules != null) {
                    return id[i] < 0 || id[j] < 0 ? -1 : pairRules.get(id[i], id[j]);
                }
                int merged = mergeTarget(s, start, end, id, i, j);
                return merged < 0 ? -1 : PairMerge.rule(mergeRank[merged], merged);
            }

            @Override
            public void merge(int i, int j, int merged) {
                id[i] = merged;
                end[i] = end[j];
            }
        }, new MergeQueue());
        for (int k = 0; k >= 0 && k < n; k = next[k]) {
            if (id[k] >= 0) {
                out.add(id[k]);
            } else {
                byteFallback(s.substring(start[k], end[k]), out);
            }
        }
    }

    private int mergeTarget(String s, int[] start, int[] end, int[] id, int i, int j) {
        if (id[i] < 0 || id[j] < 0) {
            return -1;
        }
        if (pairRules != null) {
            long rule = pairRules.get(id[i], id[j]);
            return rule < 0 ? -1 : (int) rule;
        }
        int t = vocab.id(s.substring(start[i], end[j]));
        return t >= 0 && mergeRank[t] >= 0 ? t : -1;
    }

    private void byteFallback(String symbol, TokenList out) {
        for (byte b : symbol.getBytes(StandardCharsets.UTF_8)) {
            int t = vocab.byteToken(b);
            if (t < 0) {
                t = specials.unknown();
            }
            if (t < 0) {
                throw new TandemException("cannot encode '" + symbol + "': the vocabulary has no piece for it, no byte "
                        + "token " + Vocabulary.bytePiece(b) + " and no unknown token");
            }
            out.add(t);
        }
    }

    /** Added pieces are written with U+2581 for spaces too (Gemma's runs of spaces), as llama.cpp reads them. */
    @Override
    byte[] decodeUserDefined(int token) {
        return vocab.piece(token).replace(SPACE, ' ').getBytes(StandardCharsets.UTF_8);
    }

    @Override
    byte[] decodeNormal(int prev, int token) {
        String p = vocab.piece(token).replace(SPACE, ' ');
        if (prev == specials.bos() && prev >= 0 && spacePrefix != SpacePrefix.NONE && p.startsWith(" ")) {
            p = p.substring(1);
        }
        return p.getBytes(StandardCharsets.UTF_8);
    }
}
