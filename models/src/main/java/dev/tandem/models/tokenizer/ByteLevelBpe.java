package dev.tandem.models.tokenizer;

import dev.tandem.core.Shown;
import dev.tandem.core.TandemException;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.text.Normalizer;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Byte-level BPE (GGUF {@code tokenizer.ggml.model = "gpt2"}; Hugging Face BPE with a ByteLevel
 * pre-tokenizer: GPT-2, Llama 3, Qwen2, SmolLM). The text is split into words by the family's regex, each
 * word's UTF-8 bytes are spelled with GPT-2's byte characters, and adjacent symbols are merged by the
 * rank of their merge rule, best first (leftmost on ties), within the word. Every byte has a piece, so
 * any text encodes and decodes back exactly.
 */
public final class ByteLevelBpe extends BpeTokenizer {
    /** One merge rule: two pieces whose concatenation is a piece. */
    public record Merge(String left, String right) {
        /** A GGUF / tokenizer.json merge line {@code "left right"} (split at the first space after the first character). */
        public static Merge parse(String line) {
            int at = line.indexOf(' ', 1);
            if (at < 0 || at == line.length() - 1) {
                throw new TandemException("merge rule " + Shown.quote(line) + " is not two pieces separated by a space");
            }
            return new Merge(line.substring(0, at), line.substring(at + 1));
        }

        @Override
        public String toString() {
            return left + " " + right;
        }
    }

    /**
     * @param ignoreMerges   a word that is itself a piece is that token, whatever the merges (Llama 3)
     * @param addPrefixSpace a space is put before text that does not start with one (ByteLevel add_prefix_space)
     * @param nfc            text is NFC-normalised first (Qwen2's tokenizer.json normalizer)
     */
    public record Options(boolean ignoreMerges, boolean addPrefixSpace, boolean nfc) {
        public static final Options DEFAULT = new Options(false, false, false);
    }

    private static final int CACHE_LIMIT = 1 << 16;

    private final List<Merge> merges;
    private final PairMap rules;
    private final PreTokenizer preTokenizer;
    private final Options options;
    private final ConcurrentHashMap<String, int[]> cache = new ConcurrentHashMap<>();

    public ByteLevelBpe(Vocabulary vocab, List<Merge> merges, SpecialTokens specials, PreTokenizer preTokenizer,
                        Options options, String chatTemplate) {
        super(vocab, specials, chatTemplate);
        this.merges = List.copyOf(merges);
        this.preTokenizer = preTokenizer;
        this.options = options;
        this.rules = new PairMap(merges.size());
        for (int r = 0; r < this.merges.size(); r++) {
            Merge m = this.merges.get(r);
            int a = vocab.id(m.left());
            int b = vocab.id(m.right());
            int ab = vocab.id(m.left() + m.right());
            if (a < 0 || b < 0 || ab < 0) {
                String missing = a < 0 ? m.left() : b < 0 ? m.right() : m.left() + m.right();
                throw new TandemException("merge rule " + (r + 1) + " '" + m + "' needs the piece '" + missing
                        + "', which is not in the vocabulary");
            }
            rules.putIfAbsent(a, b, r, ab);
        }
    }

    public List<Merge> merges() {
        return merges;
    }

    public PreTokenizer preTokenizer() {
        return preTokenizer;
    }

    public Options options() {
        return options;
    }

    @Override
    public ByteLevelBpe padTo(int n) {
        if (n <= vocab.size()) {
            return this;
        }
        return new ByteLevelBpe(vocab.padTo(n), merges, specials, preTokenizer, options, chatTemplate());
    }

    @Override
    public ByteLevelBpe withChatTemplate(String template) {
        return new ByteLevelBpe(vocab, merges, specials, preTokenizer, options, template);
    }

    /** This tokenizer with other special tokens. */
    public ByteLevelBpe withSpecialTokens(SpecialTokens s) {
        return new ByteLevelBpe(vocab, merges, s, preTokenizer, options, chatTemplate());
    }

    @Override
    void encodeText(String text, boolean atStart, boolean afterSpecial, TokenList out) {
        if (options.nfc()) {
            text = Normalizer.normalize(text, Normalizer.Form.NFC);
        }
        if (options.addPrefixSpace() && !text.startsWith(" ")) {
            text = " " + text;
        }
        for (String word : preTokenizer.split(text)) {
            String spelled = ByteUnicode.encode(word.getBytes(StandardCharsets.UTF_8));
            int[] ids = cache.get(spelled);
            if (ids == null) {
                ids = encodeWord(spelled);
                if (cache.size() >= CACHE_LIMIT) {
                    cache.clear();
                }
                cache.put(spelled, ids);
            }
            out.addAll(ids);
        }
    }

    /** BPE over one word in byte spelling: O(n log n) in its length. */
    private int[] encodeWord(String w) {
        if (options.ignoreMerges()) {
            int whole = vocab.id(w);
            if (whole >= 0 && vocab.type(whole) == TokenType.NORMAL) {
                return new int[] {whole};
            }
        }
        int n = w.length();
        int[] id = new int[n];
        for (int k = 0; k < n; k++) {
            id[k] = vocab.id(String.valueOf(w.charAt(k)));
        }
        int[] next = PairMerge.run(0, n, new PairMerge.Symbols() {
            @Override
            public long rule(int i, int j) {
                return id[i] < 0 || id[j] < 0 ? -1 : rules.get(id[i], id[j]);
            }

            @Override
            public void merge(int i, int j, int merged) {
                id[i] = merged;
            }
        }, new MergeQueue());
        TokenList out = new TokenList();
        for (int k = 0; k >= 0; k = next[k]) {
            if (id[k] >= 0) {
                out.add(id[k]);
            } else {
                out.add(missingByte(w.charAt(k)));
            }
        }
        return out.toArray();
    }

    /** A byte whose character is not in the vocabulary: its {@code <0xXX>} token, else the unknown token. */
    private int missingByte(char c) {
        int b = ByteUnicode.toByte(c);
        int t = vocab.byteToken(b);
        if (t < 0) {
            t = specials.unknown();
        }
        if (t < 0) {
            throw new TandemException(String.format("cannot encode byte 0x%02X: the vocabulary has no piece '%c' for it, "
                    + "no byte token and no unknown token", b, c));
        }
        return t;
    }

    @Override
    byte[] decodeNormal(int prev, int token) {
        String p = vocab.piece(token);
        ByteArrayOutputStream out = new ByteArrayOutputStream(p.length());
        for (int i = 0; i < p.length(); ) {
            int cp = p.codePointAt(i);
            int b = cp < 0x10000 ? ByteUnicode.toByte((char) cp) : -1;
            if (b >= 0) {
                out.write(b);
            } else {
                out.writeBytes(new String(Character.toChars(cp)).getBytes(StandardCharsets.UTF_8));
            }
            i += Character.charCount(cp);
        }
        return out.toByteArray();
    }
}
