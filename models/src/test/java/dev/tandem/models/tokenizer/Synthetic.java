package dev.tandem.models.tokenizer;

import java.util.ArrayList;
import java.util.List;

/** Small hand-made vocabularies whose encodings can be worked out on paper. */
final class Synthetic {
    private Synthetic() {}

    static final String SP = String.valueOf(SentencePieceBpe.SPACE);

    /**
     * SentencePiece-style: {@code <unk> <s> </s>}, 256 byte tokens (ids 3..258), then from id 259:
     * ▁ a b c x y ab bc ▁a abc xy yx ▁b <tool>(user-defined), with scores
     * ab -1, bc -2, ▁a -3, abc -0.5, xy -5, yx -5 (single characters -10: they never compete).
     */
    static SentencePieceBpe spm() {
        List<String> pieces = new ArrayList<>(List.of("<unk>", "<s>", "</s>"));
        List<TokenType> types = new ArrayList<>(List.of(TokenType.UNKNOWN, TokenType.CONTROL, TokenType.CONTROL));
        List<Float> scores = new ArrayList<>(List.of(0f, 0f, 0f));
        for (int b = 0; b < 256; b++) {
            pieces.add(Vocabulary.bytePiece(b));
            types.add(TokenType.BYTE);
            scores.add(0f);
        }
        Object[][] rest = {
                {SP, -10f}, {"a", -10f}, {"b", -10f}, {"c", -10f}, {"x", -10f}, {"y", -10f},
                {"ab", -1f}, {"bc", -2f}, {SP + "a", -3f}, {"abc", -0.5f}, {"xy", -5f}, {"yx", -5f}, {SP + "b", -6f}};
        for (Object[] r : rest) {
            pieces.add((String) r[0]);
            types.add(TokenType.NORMAL);
            scores.add((Float) r[1]);
        }
        pieces.add("<tool>");
        types.add(TokenType.USER_DEFINED);
        scores.add(0f);
        float[] s = new float[scores.size()];
        for (int i = 0; i < s.length; i++) {
            s[i] = scores.get(i);
        }
        return new SentencePieceBpe(new Vocabulary(pieces, types), s, new SpecialTokens(1, 2, 0, -1, true, false),
                SentencePieceBpe.SpacePrefix.ALWAYS, null);
    }

    /** Id of a piece in the synthetic SPM vocabulary. */
    static int spm(String piece) {
        return SPM.vocabulary().id(piece);
    }

    static final SentencePieceBpe SPM = spm();

    /** The byte-level character of a byte (Ġ for a space). */
    static String bl(String text) {
        return ByteUnicode.encode(text.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    /**
     * Byte-level: the 256 byte characters (id = byte value), then merges in rank order
     * Ġ t, h e, Ġt he, i n, Ġ a, e r, Ġ i, Ġi n — giving ids 256.. for Ġt he Ġthe in Ġa er Ġi Ġin — then
     * control tokens <|endoftext|> <|im_start|> <|im_end|> and the user-defined <tool>.
     */
    static ByteLevelBpe byteLevel(String preTokenizer) {
        ByteLevelVocabulary layout = new ByteLevelVocabulary()
                .merge("Ġ t", "h e", "Ġt he", "i n", "Ġ a", "e r", "Ġ i", "Ġi n")
                .add(TokenType.CONTROL, "<|endoftext|>", "<|im_start|>", "<|im_end|>")
                .add(TokenType.USER_DEFINED, "<tool>");
        Vocabulary v = layout.vocabulary();
        int eot = v.id("<|endoftext|>");
        return new ByteLevelBpe(v, layout.merges(), new SpecialTokens(eot, eot, -1, -1, false, false),
                PreTokenizer.named(preTokenizer), ByteLevelBpe.Options.DEFAULT, null);
    }

    static final ByteLevelBpe GPT2 = byteLevel("gpt2");
}
