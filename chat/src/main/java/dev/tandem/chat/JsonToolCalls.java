package dev.tandem.chat;

import dev.tandem.models.tokenizer.ToolCallSyntax;
import java.util.List;

/**
 * Tool calls written as the whole reply in JSON after an optional prefix: Mistral's {@code [TOOL_CALLS]} and a
 * list of {@code {"name", "arguments"}}; Llama 3.1/3.2's {@code {"name": ..., "parameters": {...}}}, after
 * {@code <|python_tag|>} or alone. The prefix is a control token that a reply's text may or may not show, so a
 * reply that starts with the JSON counts too; a reply that is not such JSON stays text. Either family's calls may be
 * one object or a list ({@link ToolCallJson#calls}), so streaming holds a reply that opens with either.
 */
final class JsonToolCalls implements ToolCallSyntax {
    static final JsonToolCalls MISTRAL = new JsonToolCalls("[TOOL_CALLS]");
    static final JsonToolCalls LLAMA3 = new JsonToolCalls("<|python_tag|>");

    private final String prefix;

    private JsonToolCalls(String prefix) {
        this.prefix = prefix;
    }

    @Override
    public int holdFrom(String text) {
        String body = withoutPrefix(text.stripLeading());
        if (body.isEmpty() || body.charAt(0) == '[' || body.charAt(0) == '{' || ToolCallSyntax.partialMarkerAt(text.strip(), prefix) == 0) {
            return 0; // nothing yet, or the start of a call: wait for the whole reply
        }
        return -1;
    }

    @Override
    public Reply parse(String text) {
        String body = withoutPrefix(text.strip());
        List<Call> calls = body.isEmpty() ? null : ToolCallJson.calls(body);
        return calls == null ? new Reply(text, List.of()) : new Reply("", calls);
    }

    private String withoutPrefix(String s) {
        return s.startsWith(prefix) ? s.substring(prefix.length()).stripLeading() : s;
    }
}
