package dev.tandem.models.tokenizer;

import dev.tandem.core.TandemException;
import java.util.List;
import java.util.Map;

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

    /**
     * The same with the tools the assistant may call ({@code tools}: OpenAI's function specifications, as
     * objects), for formats that write them; the others refuse tools and tool turns with a clear error.
     */
    default List<PromptPart> render(List<ChatMessage> messages, List<Map<String, Object>> tools, boolean addGenerationPrompt,
                                    String bos, String eos) {
        refuseTools(this, messages, tools);
        return render(messages, addGenerationPrompt, bos, eos);
    }

    /** How this format's models write tool calls in a reply, or null when it has no tools. */
    default ToolCallSyntax toolCalls() {
        return null;
    }

    /** Throws when the conversation offers or uses tools: {@code format} has no way to write them. */
    static void refuseTools(PromptFormat format, List<ChatMessage> messages, List<Map<String, Object>> tools) {
        if (ChatMessage.usesTools(messages, tools)) {
            throw new TandemException("the " + format.name() + " chat format has no tool calls; tools need a model whose own "
                    + "(Jinja) chat template writes them");
        }
    }

    /** The text that ends an assistant turn ({@code eos} is the model's EOS text), or null when none does. */
    String endOfTurn(String eos);
}
