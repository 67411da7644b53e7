package dev.tandem.models.tokenizer;

/**
 * A piece of a prompt: template markup (where text such as {@code <|im_start|>} becomes its special token)
 * or content (a user's words: special-token text stays text, so a message cannot forge a turn).
 */
public record PromptPart(String text, boolean markup) {
    public PromptPart {
        if (text == null) {
            throw new IllegalArgumentException("text");
        }
    }

    public static PromptPart markup(String text) {
        return new PromptPart(text, true);
    }

    public static PromptPart content(String text) {
        return new PromptPart(text, false);
    }
}
