package dev.tandem.models.tokenizer;

import dev.tandem.core.TandemException;
import dev.tandem.models.Tokenizer;
import java.nio.charset.StandardCharsets;
import java.util.BitSet;
import java.util.List;

/**
 * What the BPE tokenizers share: the vocabulary, special tokens, splitting text at special-token text
 * before BPE runs, BOS/EOS, and decoding of non-text tokens. Subclasses encode runs of plain text.
 */
public abstract sealed class BpeTokenizer implements Tokenizer permits SentencePieceBpe, ByteLevelBpe {
    /** Pieces that end a turn or a document in the common chat families; generation stops at them. */
    static final List<String> END_OF_GENERATION_PIECES = List.of("<|eot_id|>", "<|eom_id|>", "<|im_end|>", "<|end|>",
            "<end_of_turn>", "<|endoftext|>", "<|end_of_text|>", "<EOT>", "</s>");

    final Vocabulary vocab;
    final SpecialTokens specials;
    private final String chatTemplate;
    private final SpecialMatcher withControl;
    private final SpecialMatcher userDefinedOnly;
    private final BitSet endOfGeneration = new BitSet();

    BpeTokenizer(Vocabulary vocab, SpecialTokens specials, String chatTemplate) {
        specials.check(vocab.size());
        this.vocab = vocab;
        this.specials = specials;
        this.chatTemplate = chatTemplate;
        this.withControl = new SpecialMatcher(vocab, true);
        this.userDefinedOnly = new SpecialMatcher(vocab, false);
        for (int id : new int[] {specials.bos(), specials.eos()}) {
            if (id >= 0) {
                endOfGeneration.set(id);
            }
        }
        for (String p : END_OF_GENERATION_PIECES) {
            int id = vocab.id(p);
            if (id >= 0 && vocab.type(id) != TokenType.NORMAL) {
                endOfGeneration.set(id);
            }
        }
    }

    public Vocabulary vocabulary() {
        return vocab;
    }

    public SpecialTokens specialTokens() {
        return specials;
    }

    /** This tokenizer with its vocabulary grown to {@code n} tokens by unused padding entries. */
    public abstract BpeTokenizer padTo(int n);

    /** This tokenizer with another chat template (Jinja source, or null for none). */
    public abstract BpeTokenizer withChatTemplate(String template);

    @Override
    public int vocabSize() {
        return vocab.size();
    }

    @Override
    public int bos() {
        return specials.bos();
    }

    @Override
    public int eos() {
        return specials.eos();
    }

    @Override
    public String piece(int token) {
        checkRange(token);
        return vocab.piece(token);
    }

    @Override
    public int tokenId(String piece) {
        return vocab.id(piece);
    }

    @Override
    public boolean isEndOfGeneration(int token) {
        return token >= 0 && endOfGeneration.get(token);
    }

    @Override
    public String chatTemplate() {
        return chatTemplate;
    }

    /**
     * {@inheritDoc} BOS comes first when asked and the model adds one ({@link SpecialTokens#addBos()}); EOS
     * last when asked and the model has one.
     */
    @Override
    public int[] encode(String text, boolean bos, boolean eos) {
        return encode(List.of(PromptPart.content(text)), bos, eos);
    }

    @Override
    public int[] encode(String text, boolean bos, boolean eos, boolean parseSpecial) {
        return encode(List.of(new PromptPart(text, parseSpecial)), bos, eos);
    }

    @Override
    public int[] encodePrompt(List<PromptPart> parts, boolean bos) {
        return encode(parts, bos, false);
    }

    private int[] encode(List<PromptPart> parts, boolean bos, boolean eos) {
        TokenList out = new TokenList();
        if (bos && specials.addBos()) {
            out.add(specials.bos());
        }
        StringBuilder raw = new StringBuilder();
        boolean atStart = true;
        boolean afterSpecial = false;
        for (PromptPart part : parts) {
            SpecialMatcher matcher = part.markup() ? withControl : userDefinedOnly;
            String t = part.text();
            int from = 0;
            if (!matcher.isEmpty()) {
                for (int i = 0; i < t.length(); i++) {
                    int id = matcher.matchAt(t, i);
                    if (id < 0) {
                        continue;
                    }
                    raw.append(t, from, i);
                    if (!raw.isEmpty()) {
                        encodeText(raw.toString(), atStart, afterSpecial, out);
                        raw.setLength(0);
                    }
                    out.add(id);
                    atStart = false;
                    afterSpecial = true;
                    i += vocab.piece(id).length() - 1;
                    from = i + 1;
                }
            }
            raw.append(t, from, t.length());
        }
        if (!raw.isEmpty()) {
            encodeText(raw.toString(), atStart, afterSpecial, out);
        }
        if (eos && specials.eos() >= 0) {
            out.add(specials.eos());
        }
        return out.toArray();
    }

    /**
     * Appends the tokens of a run of plain text. {@code atStart}: nothing of the input precedes it;
     * {@code afterSpecial}: a special token does.
     */
    abstract void encodeText(String text, boolean atStart, boolean afterSpecial, TokenList out);

    @Override
    public byte[] decode(int prev, int token) {
        checkRange(token);
        return switch (vocab.type(token)) {
            case BYTE -> new byte[] {(byte) Vocabulary.byteValue(vocab.piece(token))};
            case UNUSED -> new byte[0];
            case CONTROL, UNKNOWN -> vocab.piece(token).getBytes(StandardCharsets.UTF_8);
            case USER_DEFINED -> decodeUserDefined(token);
            case NORMAL -> decodeNormal(prev, token);
        };
    }

    /** The bytes of a user-defined (added, not special) token: its text as written. */
    byte[] decodeUserDefined(int token) {
        return vocab.piece(token).getBytes(StandardCharsets.UTF_8);
    }

    /** The bytes of a normal token. */
    abstract byte[] decodeNormal(int prev, int token);

    private void checkRange(int token) {
        if (token < 0 || token >= vocab.size()) {
            throw new TandemException("token id " + token + " is outside the vocabulary of " + vocab.size());
        }
    }
}
