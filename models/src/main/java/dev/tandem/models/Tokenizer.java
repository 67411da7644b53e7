package dev.tandem.models;

/** Text to token ids and back. */
public interface Tokenizer {
    int vocabSize();

    int bos();

    int eos();

    /** Token ids for {@code text}, with BOS first and EOS last when asked. */
    int[] encode(String text, boolean bos, boolean eos);

    /** The bytes {@code token} stands for when it follows {@code prev} (UTF-8 may be split across tokens). */
    byte[] decode(int prev, int token);

    /** The piece of a token as stored in the vocabulary, for display. */
    String piece(int token);
}
