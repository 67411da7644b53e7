package dev.tandem.chat;

import dev.tandem.models.tokenizer.ToolCallSyntax;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Tool calls between markers in the reply: Hermes' (Qwen2.5, Qwen3 and the many templates that copy it)
 * {@code <tool_call>{"name": ..., "arguments": {...}}</tool_call>} blocks, and DeepSeek-V3's
 * {@code <｜tool▁call▁begin｜>function<｜tool▁sep｜>NAME ```json ARGS ```<｜tool▁call▁end｜>} inside its calls markers.
 * The text outside the blocks is the reply's content.
 *
 * @param marker the text that opens the calls
 * @param block one call: its JSON (Hermes), or its name and its arguments apart ({@code nameApart}, DeepSeek)
 */
record MarkedToolCalls(String marker, Pattern block, boolean nameApart) implements ToolCallSyntax {
    static final MarkedToolCalls HERMES = new MarkedToolCalls("<tool_call>",
            Pattern.compile("<tool_call>(.*?)</tool_call>", Pattern.DOTALL), false);
    static final MarkedToolCalls DEEPSEEK = new MarkedToolCalls("<｜tool▁calls▁begin｜>",
            Pattern.compile("<｜tool▁call▁begin｜>\\w*<｜tool▁sep｜>(.*?)\\n```(?:json)?\\n(.*?)\\n```<｜tool▁call▁end｜>", Pattern.DOTALL), true);

    @Override
    public int holdFrom(String text) {
        int at = text.indexOf(marker);
        return at >= 0 ? at : ToolCallSyntax.partialMarkerAt(text, marker);
    }

    @Override
    public Reply parse(String text) {
        int start = text.indexOf(marker);
        if (start < 0) {
            return new Reply(text, List.of());
        }
        List<Call> calls = new ArrayList<>();
        Matcher m = block.matcher(text);
        int end = start;
        while (m.find(end)) {
            Call c = nameApart ? ToolCallJson.call(m.group(1).strip(), m.group(2)) : single(m.group(1));
            if (c == null) {
                return new Reply(text, List.of());
            }
            calls.add(c);
            end = m.end();
        }
        if (calls.isEmpty()) {
            return new Reply(text, List.of());
        }
        String after = text.substring(end).replace("<｜tool▁calls▁end｜>", "");
        return new Reply((text.substring(0, start) + after).strip(), calls);
    }

    private static Call single(String json) {
        List<Call> c = ToolCallJson.calls(json);
        return c == null || c.size() != 1 ? null : c.get(0);
    }
}
