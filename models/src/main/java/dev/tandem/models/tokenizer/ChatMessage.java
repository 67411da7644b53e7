package dev.tandem.models.tokenizer;

import dev.tandem.core.TandemException;
import java.util.List;
import java.util.Map;

/**
 * One turn of a conversation, with the fields of OpenAI's chat messages that chat templates read.
 *
 * @param role {@code system}, {@code user}, {@code assistant}, or {@code tool} (a tool's result)
 * @param content the text; null only for an assistant turn that calls tools
 * @param name the speaker's or tool's name, or null
 * @param toolCalls an assistant turn's tool calls, as the OpenAI API writes them ({@code {"id", "type": "function",
 *                  "function": {"name", "arguments"}}}) with the arguments as an object, as templates expect them
 * @param toolCallId for a {@code tool} turn, the call it answers, or null
 */
public record ChatMessage(String role, String content, String name, List<Map<String, Object>> toolCalls, String toolCallId) {
    private static final List<String> ROLES = List.of("system", "user", "assistant", "tool");

    public ChatMessage {
        if (!ROLES.contains(role)) {
            throw new TandemException("chat role must be system, user, assistant or tool, got '" + role + "'");
        }
        toolCalls = toolCalls == null ? List.of() : List.copyOf(toolCalls);
        if (!toolCalls.isEmpty() && !role.equals("assistant")) {
            throw new TandemException("only assistant messages call tools, not " + role + " messages");
        }
        if (content == null && toolCalls.isEmpty()) {
            throw new TandemException("a chat message needs content");
        }
    }

    public ChatMessage(String role, String content) {
        this(role, content, null, List.of(), null);
    }

    public static ChatMessage system(String content) {
        return new ChatMessage("system", content);
    }

    public static ChatMessage user(String content) {
        return new ChatMessage("user", content);
    }

    public static ChatMessage assistant(String content) {
        return new ChatMessage("assistant", content);
    }

    /** Whether this turn calls a tool or carries a tool's result (formats without tools cannot write it). */
    public boolean usesTools() {
        return role.equals("tool") || !toolCalls.isEmpty();
    }

    /** Whether a conversation offers tools or has a turn that uses them: what a format without tools must refuse. */
    public static boolean usesTools(List<ChatMessage> messages, List<Map<String, Object>> tools) {
        return !tools.isEmpty() || messages.stream().anyMatch(ChatMessage::usesTools);
    }
}
