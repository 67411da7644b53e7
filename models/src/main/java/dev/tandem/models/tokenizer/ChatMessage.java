package dev.tandem.models.tokenizer;

import dev.tandem.core.TandemException;

/** One turn of a conversation: role {@code system}, {@code user} or {@code assistant}, and its text. */
public record ChatMessage(String role, String content) {
    public ChatMessage {
        if (!role.equals("system") && !role.equals("user") && !role.equals("assistant")) {
            throw new TandemException("chat role must be system, user or assistant, got '" + role + "'");
        }
        if (content == null) {
            throw new TandemException("a chat message needs content");
        }
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
}
