package dev.tandem.server;

import java.util.List;

/**
 * Turns chat messages into the prompt a model continues. This is the seam where a model's own template
 * (from its tokenizer configuration) plugs in; models without one, such as the llama2.c story models, use
 * {@link #plain()}.
 */
public interface ChatTemplate {
    /** The prompt text: the conversation, ending where the assistant's reply begins. */
    String render(List<ChatMessage> messages);

    /** Text that ends the assistant's turn (generation stops there; it is not returned). */
    List<String> stops();

    /**
     * One {@code role: content} line per message, then {@code assistant:}; the turn ends at the next line
     * that starts a {@code user:} or {@code system:} message.
     */
    static ChatTemplate plain() {
        return new ChatTemplate() {
            @Override
            public String render(List<ChatMessage> messages) {
                StringBuilder sb = new StringBuilder();
                for (ChatMessage m : messages) {
                    sb.append(m.role()).append(": ").append(m.content()).append('\n');
                }
                return sb.append("assistant:").toString();
            }

            @Override
            public List<String> stops() {
                return List.of("\nuser:", "\nsystem:");
            }
        };
    }
}
