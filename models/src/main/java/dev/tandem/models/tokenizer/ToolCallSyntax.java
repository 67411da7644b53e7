package dev.tandem.models.tokenizer;

import java.util.List;

/**
 * How a model family writes tool calls in its reply (Hermes' {@code <tool_call>} blocks, Mistral's
 * {@code [TOOL_CALLS]} list, Llama 3's bare JSON object...), so a server can return them as OpenAI's
 * {@code tool_calls} instead of text. A model's chat format names its syntax ({@link PromptFormat#toolCalls}).
 */
public interface ToolCallSyntax {
    /** One call: the function's name and its arguments as JSON text. */
    record Call(String name, String arguments) {}

    /** A reply split into its text and its calls (no calls: the text is the whole reply). */
    record Reply(String content, List<Call> calls) {}

    /**
     * Where in {@code text} (a reply so far) a tool call begins or may be beginning, or -1: a streaming
     * server sends the text before it and holds the rest until the reply ends.
     */
    int holdFrom(String text);

    /** The finished reply, split; text that only looks like a call but does not parse stays text. */
    Reply parse(String text);

    /** The index from which {@code text} ends with a proper prefix of {@code marker}, or -1 (a marker cut by a token boundary). */
    static int partialMarkerAt(String text, String marker) {
        for (int k = Math.min(marker.length() - 1, text.length()); k > 0; k--) {
            if (text.endsWith(marker.substring(0, k))) {
                return text.length() - k;
            }
        }
        return -1;
    }
}
