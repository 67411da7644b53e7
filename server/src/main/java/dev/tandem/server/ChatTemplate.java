package dev.tandem.server;

import dev.tandem.models.Tokenizer;
import dev.tandem.models.tokenizer.ChatMessage;
import dev.tandem.models.tokenizer.PromptFormat;
import dev.tandem.models.tokenizer.PromptPart;
import dev.tandem.models.tokenizer.ToolCallSyntax;
import java.util.List;
import java.util.Map;

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

    /** How the model writes tool calls in its reply, or null (the reply is returned as text). */
    default ToolCallSyntax toolCalls() {
        return null;
    }

    /** The prompt's tokens: the rendered text with BOS, special tokens left as text. */
    default int[] encode(List<ChatMessage> messages, Tokenizer tokenizer) {
        return encode(messages, List.of(), tokenizer);
    }

    /**
     * The same with the tools the assistant may call (OpenAI's function specifications, as objects); a
     * template that cannot write tools refuses them with a {@link dev.tandem.core.TandemException}.
     */
    default int[] encode(List<ChatMessage> messages, List<Map<String, Object>> tools, Tokenizer tokenizer) {
        if (ChatMessage.usesTools(messages, tools)) {
            throw new dev.tandem.core.TandemException("this model has no chat template that writes tool calls (the plain "
                    + "role: text format is used); tools need a model whose own chat template has them");
        }
        return tokenizer.encode(render(messages), true, false);
    }

    /**
     * A model's chat format: its own Jinja template (module {@code chat}) or a built-in family (llama2, llama3,
     * chatml, zephyr, mistral: see {@link dev.tandem.models.tokenizer.ChatTemplate}). Turn markers are special
     * tokens parsed only in the markup, never in message text; the model's end-of-turn token ends generation.
     */
    static ChatTemplate of(PromptFormat format, Tokenizer tokenizer) {
        String bos = tokenizer.bosText();
        String eos = tokenizer.eosText();
        String endOfTurn = format.endOfTurn(eos);
        List<String> stops = endOfTurn != null && tokenizer.tokenId(endOfTurn) < 0 ? List.of(endOfTurn) : List.of();
        return new ChatTemplate() {
            @Override
            public String render(List<ChatMessage> messages) {
                return text(format.render(messages, List.of(), true, bos, eos));
            }

            @Override
            public int[] encode(List<ChatMessage> messages, List<Map<String, Object>> tools, Tokenizer t) {
                return t.encodeChat(format, messages, tools);
            }

            @Override
            public List<String> stops() {
                return stops;
            }

            @Override
            public ToolCallSyntax toolCalls() {
                return format.toolCalls();
            }
        };
    }

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

    private static String text(List<PromptPart> parts) {
        StringBuilder sb = new StringBuilder();
        parts.forEach(p -> sb.append(p.text()));
        return sb.toString();
    }
}
