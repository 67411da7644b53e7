package dev.tandem.models.tokenizer;

import dev.tandem.core.TandemException;

/** What a vocabulary entry is, with the codes GGUF's {@code tokenizer.ggml.token_type} uses. */
public enum TokenType {
    NORMAL(1),
    /** the unknown token, e.g. {@code <unk>} */
    UNKNOWN(2),
    /** BOS, EOS, end-of-turn markers: produced only when special tokens are parsed */
    CONTROL(3),
    /** added tokens that are always matched as a whole before BPE */
    USER_DEFINED(4),
    /** padding entries: never produced, decode to nothing */
    UNUSED(5),
    /** {@code <0xXX>}: one raw byte (byte fallback) */
    BYTE(6);

    private final int code;

    TokenType(int code) {
        this.code = code;
    }

    public int code() {
        return code;
    }

    /** The type of a GGUF code; 0 (undefined) reads as normal, as llama.cpp treats it. */
    public static TokenType of(int code) {
        if (code == 0) {
            return NORMAL;
        }
        for (TokenType t : values()) {
            if (t.code == code) {
                return t;
            }
        }
        throw new TandemException("unknown token type " + code + " (expected 1-6: normal, unknown, control, "
                + "user-defined, unused, byte)");
    }

    /** Matched as a whole in the text before BPE runs (control only when special tokens are parsed). */
    boolean isSpecial() {
        return this == CONTROL || this == USER_DEFINED;
    }
}
