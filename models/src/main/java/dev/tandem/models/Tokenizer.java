package dev.tandem.models;

import dev.tandem.models.tokenizer.ChatMessage;
import dev.tandem.models.tokenizer.PromptFormat;
import dev.tandem.models.tokenizer.PromptPart;
import java.util.List;
import java.util.Map;

/** Text to token ids and back. */
public interface Tokenizer {
    int vocabSize();

    /** The BOS id, or -1 when the model has none. */
    int bos();

    /** The EOS id, or -1 when the model has none. */
    int eos();

    /**
     * Token ids for {@code text}, with BOS first and EOS last when asked (and the model has them: a
     * tokenizer whose model does not start sequences with BOS, such as Qwen2's, leaves it out). Text that
     * spells a special token stays text.
     */
    int[] encode(String text, boolean bos, boolean eos);

    /**
     * Like {@link #encode(String, boolean, boolean)}; with {@code parseSpecial}, text that spells a control
     * token ({@code <s>}, {@code <|eot_id|>}, ...) becomes that token. Tokenizers without special tokens
     * ignore the flag.
     */
    default int[] encode(String text, boolean bos, boolean eos, boolean parseSpecial) {
        return encode(text, bos, eos);
    }

    /**
     * A prompt made of template markup and content, encoded as one text (BPE merges across the joins),
     * where only the markup's special-token text becomes special tokens.
     */
    default int[] encodePrompt(List<PromptPart> parts, boolean bos) {
        StringBuilder sb = new StringBuilder();
        parts.forEach(p -> sb.append(p.text()));
        return encode(sb.toString(), bos, false);
    }

    /**
     * A conversation's prompt in {@code format} (ending with the assistant's cue), with the tools the assistant may
     * call (OpenAI's function specifications; empty for none): rendered with this tokenizer's BOS/EOS texts, the
     * markup's special-token text as special tokens and message text as text, BOS added unless the template wrote it.
     */
    default int[] encodeChat(PromptFormat format, List<ChatMessage> messages, List<Map<String, Object>> tools) {
        String bos = bosText();
        List<PromptPart> parts = format.render(messages, tools, true, bos, eosText());
        StringBuilder text = new StringBuilder();
        parts.forEach(p -> text.append(p.text()));
        return encodePrompt(parts, !text.toString().startsWith(bos) || tokenId(bos) < 0);
    }

    /** The bytes {@code token} stands for when it follows {@code prev} (UTF-8 may be split across tokens). */
    byte[] decode(int prev, int token);

    /** The piece of a token as stored in the vocabulary, for display. */
    String piece(int token);

    /** The id of the token whose piece is exactly {@code piece}, or -1. */
    default int tokenId(String piece) {
        return -1;
    }

    /**
     * Whether generation ends when the model produces {@code token}: BOS and EOS, and for chat models
     * their end-of-turn markers ({@code <|eot_id|>}, {@code <|im_end|>}, ...).
     */
    default boolean isEndOfGeneration(int token) {
        return token == bos() || token == eos();
    }

    /** The BOS token's text as chat formats spell it: its piece, or {@code <s>} where the tokenizer has none. */
    default String bosText() {
        return bos() >= 0 ? piece(bos()) : "<s>";
    }

    /** The EOS token's text as chat formats spell it: its piece, or {@code </s>} where the tokenizer has none. */
    default String eosText() {
        return eos() >= 0 ? piece(eos()) : "</s>";
    }

    /** The chat template (Jinja source) the model was published with, or null. */
    default String chatTemplate() {
        return null;
    }
}
