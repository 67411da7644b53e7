package dev.tandem.models.tokenizer;

import java.util.List;

/**
 * How a conversation becomes a prompt: a built-in family ({@link ChatTemplate}) or a model's own Jinja
 * template (module {@code chat}). Markup parts are where special-token text becomes special tokens; content
 * parts are message text, kept as text.
 */
public interface PromptFormat {
    /** A short name for messages and stats: the family, or {@code jinja}. */
    String name();

    /**
     * The prompt for {@code messages}, ending with the cue for the assistant's next turn when
     * {@code addGenerationPrompt}; {@code bos}/{@code eos} are the model's BOS/EOS texts.
     */
    List<PromptPart> render(List<ChatMessage> messages, boolean addGenerationPrompt, String bos, String eos);

    /** The text that ends an assistant turn ({@code eos} is the model's EOS text), or null when none does. */
    String endOfTurn(String eos);
}
