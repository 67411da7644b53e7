package dev.tandem.models.tokenizer;

import java.util.ArrayList;
import java.util.List;

/**
 * A byte-level vocabulary laid out as GPT-2's is: the 256 byte characters first (id = byte value), then the
 * piece each merge rule makes, in rank order, then whatever tokens are added. For tokenizers made up on the
 * spot (tests, the tokenizer benchmark); real ones come whole from GGUF or tokenizer.json.
 */
public final class ByteLevelVocabulary {
    private final List<String> pieces = new ArrayList<>();
    private final List<TokenType> types = new ArrayList<>();
    private final List<ByteLevelBpe.Merge> merges = new ArrayList<>();

    /** The 256 byte characters alone. */
    public ByteLevelVocabulary() {
        for (int b = 0; b < 256; b++) {
            add(TokenType.NORMAL, String.valueOf(ByteUnicode.toChar(b)));
        }
    }

    /** Merge rules written as GGUF and tokenizer.json write them ({@code "left right"}), each adding its piece. */
    public ByteLevelVocabulary merge(String... rules) {
        for (String rule : rules) {
            merge(ByteLevelBpe.Merge.parse(rule));
        }
        return this;
    }

    /** One merge rule, ranked after those before it, and the piece it makes. */
    public ByteLevelVocabulary merge(ByteLevelBpe.Merge rule) {
        merges.add(rule);
        return add(TokenType.NORMAL, rule.left() + rule.right());
    }

    /** Tokens of one type, in order, after what is there. */
    public ByteLevelVocabulary add(TokenType type, String... tokens) {
        for (String token : tokens) {
            pieces.add(token);
            types.add(type);
        }
        return this;
    }

    /** The piece of token {@code id}; below 256, the character that spells that byte. */
    public String piece(int id) {
        return pieces.get(id);
    }

    public Vocabulary vocabulary() {
        return new Vocabulary(pieces, types);
    }

    /** The merge rules, best rank first. */
    public List<ByteLevelBpe.Merge> merges() {
        return List.copyOf(merges);
    }
}
