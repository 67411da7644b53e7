package dev.tandem.chat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

import dev.tandem.models.tokenizer.ToolCallSyntax;
import dev.tandem.models.tokenizer.ToolCallSyntax.Call;
import dev.tandem.models.tokenizer.ToolCallSyntax.Reply;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Each family's written tool calls, read back into calls, on hand-written replies. */
class ToolCallSyntaxTest {
    @Test
    void hermesBlocksAreCallsAndTheRestIsContent() {
        ToolCallSyntax s = MarkedToolCalls.HERMES;
        String reply = "Let me look.\n<tool_call>\n{\"name\": \"weather\", \"arguments\": {\"city\": \"Paris\"}}\n</tool_call>\n"
                + "<tool_call>\n{\"name\": \"time\", \"arguments\": {}}\n</tool_call>";
        assertEquals(new Reply("Let me look.", List.of(new Call("weather", "{\"city\":\"Paris\"}"), new Call("time", "{}"))), s.parse(reply));
        assertEquals(13, s.holdFrom(reply), "held from the first block");
        assertEquals(5, s.holdFrom("Sure <tool_"), "a marker cut by a token boundary is held");
        assertEquals(-1, s.holdFrom("Sure, 2 < 3"));
        assertEquals(new Reply("<tool_call>{not json}</tool_call>", List.of()), s.parse("<tool_call>{not json}</tool_call>"),
                "what does not parse stays text");
    }

    @Test
    void mistralListsWithOrWithoutTheirControlToken() {
        ToolCallSyntax s = JsonToolCalls.MISTRAL;
        List<Call> calls = List.of(new Call("weather", "{\"city\":\"Paris\"}"));
        assertEquals(new Reply("", calls), s.parse("[TOOL_CALLS][{\"name\": \"weather\", \"arguments\": {\"city\": \"Paris\"}}]"));
        assertEquals(new Reply("", calls), s.parse(" [{\"name\": \"weather\", \"arguments\": {\"city\": \"Paris\"}, \"id\": \"abcdefghi\"}]"));
        assertEquals(0, s.holdFrom("[TOOL_C"));
        assertEquals(0, s.holdFrom(""), "nothing yet: wait");
        assertEquals(-1, s.holdFrom("It is sunny"));
        assertEquals(new Reply("[1, 2]", List.of()), s.parse("[1, 2]"));
    }

    @Test
    void llama3WritesParameters() {
        ToolCallSyntax s = JsonToolCalls.LLAMA3;
        assertEquals(new Reply("", List.of(new Call("weather", "{\"city\":\"Paris\"}"))),
                s.parse("<|python_tag|>{\"name\": \"weather\", \"parameters\": {\"city\": \"Paris\"}}"));
        assertEquals(new Reply("{\"answer\": 42}", List.of()), s.parse("{\"answer\": 42}"), "JSON without a name is text");
        assertEquals(0, s.holdFrom("[{\"name\""), "a list of calls parses too, so streaming holds it as it holds one call");
        assertEquals(-1, s.holdFrom("Sunny."));
    }

    @Test
    void deepSeekNamesTheFunctionApartFromItsArguments() {
        String reply = "<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>function<｜tool▁sep｜>weather\n```json\n{\"city\": \"Paris\"}\n```"
                + "<｜tool▁call▁end｜><｜tool▁calls▁end｜>";
        assertEquals(new Reply("", List.of(new Call("weather", "{\"city\":\"Paris\"}"))), MarkedToolCalls.DEEPSEEK.parse(reply));
    }

    @Test
    void theTemplateNamesItsSyntax() {
        assertSame(MarkedToolCalls.HERMES, JinjaChatTemplate.of("{% for m in messages %}{{ m.content }}{% endfor %}<tool_call>", "", "").toolCalls());
        assertSame(JsonToolCalls.MISTRAL, JinjaChatTemplate.of("{{ '[TOOL_CALLS]' }}", "", "").toolCalls());
        assertSame(JsonToolCalls.LLAMA3, JinjaChatTemplate.of("{{ 'ipython' }} {\"name\", \"parameters\"}", "", "").toolCalls());
        assertNull(JinjaChatTemplate.of("{% for m in messages %}{{ m.content }}{% endfor %}", "", "").toolCalls());
    }
}
