package dev.tandem.models.tokenizer;

import dev.tandem.models.Tokenizer;

/**
 * The fewest tokens a text can encode to, known before tokenizing: no token stands for more bytes than
 * its piece spells in UTF-8 (a byte token's {@code <0xXX>}, SentencePiece's three-byte {@code ▁} for one
 * space, byte-level BPE's one character per byte all spell at least as many bytes as they stand for), so a
 * text of {@code b} UTF-8 bytes needs at least {@code b / maxPieceBytes} tokens. A prompt that cannot fit
 * the context is refused on its length alone, in microseconds, whatever its size.
 */
public final class TokenBudget {
    private final int maxPieceBytes;

    private TokenBudget(int maxPieceBytes) {
        this.maxPieceBytes = maxPieceBytes;
    }

    public static TokenBudget of(Tokenizer tokenizer) {
        int max = 1;
        for (int t = 0; t < tokenizer.vocabSize(); t++) {
            max = (int) Math.max(max, utf8Length(tokenizer.piece(t)));
        }
        return new TokenBudget(max);
    }

    /** The longest piece in UTF-8 bytes: the most bytes one token can stand for. */
    public int maxPieceBytes() {
        return maxPieceBytes;
    }

    /** A lower bound on the tokens {@code text} encodes to (special tokens and BOS aside). */
    public long minTokens(CharSequence text) {
        return (utf8Length(text) + maxPieceBytes - 1) / maxPieceBytes;
    }

    /** UTF-8 length without encoding (an unpaired surrogate counts as the one byte of its '?'). */
    public static long utf8Length(CharSequence s) {
        long n = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < 0x80) {
                n++;
            } else if (c < 0x800) {
                n += 2;
            } else if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                n += 4;
                i++;
            } else if (Character.isSurrogate(c)) {
                n++;
            } else {
                n += 3;
            }
        }
        return n;
    }
}
