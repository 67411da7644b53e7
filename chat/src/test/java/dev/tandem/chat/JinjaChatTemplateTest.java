package dev.tandem.chat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tandem.core.TandemException;
import dev.tandem.models.tokenizer.ChatMessage;
import dev.tandem.models.tokenizer.PromptPart;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Jinja as transformers runs chat templates, on small hand-written templates with hand-worked output. */
class JinjaChatTemplateTest {
    private static final String CHATML = "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}"
            + "{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

    private static String render(String template, Map<String, Object> variables) {
        return JinjaChatTemplate.of(template, "<s>", "</s>").render(List.of(), false, variables);
    }

    @Test
    void blocksOnTheirOwnLinesLeaveNoWhitespaceAsWithTrimAndLstripBlocks() {
        String t = "{% for m in messages %}\n    {% if m.role == 'user' %}\n[{{ m.content }}]\n    {% endif %}\n{% endfor %}\n";
        List<Map<String, Object>> messages = List.of(Map.of("role", "user", "content", "a"), Map.of("role", "bot", "content", "b"),
                Map.of("role", "user", "content", "c"));
        assertEquals("[a]\n[c]\n", JinjaChatTemplate.of(t, "<s>", "</s>").render(messages, false, Map.of()));
        assertEquals("xy", render("   {{- 'x' -}}   \n  {{- 'y' -}}  ", Map.of()));
        // outputs of Python's jinja2 with trim_blocks and lstrip_blocks
        assertEquals("a\nb", render("a\n  {# c #}\nb", Map.of()));
        assertEquals("  x", render("  {%+ if true %}x{% endif %}", Map.of()));
        assertEquals("x\n", render("\t {% if true %}\nx\n {% endif %}\n", Map.of()));
        assertEquals("a 1  y", render("a {{ 1 }}  {% if true %}y{% endif %}", Map.of()));
        assertEquals("z", render("  {%- if true %}z{% endif %}", Map.of()));
        assertEquals("A: |  xy\n", render("{% if true %}A: {% endif %}|  {% if true %}x{% endif %}\n  {% if true %}y\n{% endif %}", Map.of()));
        assertEquals("  {% x %}", render("{% raw %}  {% x %}{% endraw %}", Map.of()));
    }

    @Test
    void notBindsLooserThanIsAsInJinja() {
        String t = "{% if not date_string is defined %}unset{% else %}{{ date_string }}{% endif %}|{{ 'not x is defined' }}";
        assertEquals("unset|not x is defined", render(t, Map.of()));
        assertEquals("1 May|not x is defined", render(t, Map.of("date_string", "1 May")));
        assertEquals("yes", render("{% if not tools['a'] is not none %}yes{% endif %}", Map.of("tools", new LinkedHashMap<>())));
        assertEquals("{% if not (x is defined) and not (y.z is none) %}{{ \"not a is string\" }}",
                JinjaRewrites.apply("{% if not x is defined and not y.z is none %}{{ \"not a is string\" }}"));
    }

    @Test
    void stringsHavePythonsMethods() {
        Map<String, Object> v = Map.of("s", "<think>\nplan\n</think>\n\nanswer  ");
        assertEquals("true|false", render("{{ s.startswith('<think>') }}|{{ s.endswith(('x', 'y')) }}", v));
        assertEquals("[answer]", render("[{{ s.split('</think>')[-1].lstrip('\\n').rstrip() }}]", v));
        assertEquals("[plan]", render("[{{ s.split('</think>')[0].rstrip('\\n').split('<think>')[-1].lstrip('\\n') }}]", v));
        assertEquals("a|b|c  d ", render("{{ '|'.join('  a b\\tc  d '.split(None, 2)) }}", Map.of()));
        assertEquals("a.b|A B|Ab|2|1", render("{{ 'a.b'.split('.') | join('.') }}|{{ 'a b'.upper() }}|{{ 'aB'.capitalize() }}|{{ 'abab'.count('b') }}|{{ 'ab'.find('b') }}", Map.of()));
    }

    @Test
    void reversedSlicesAndNamespaceArgumentsReadAsInJinja() {
        List<Map<String, Object>> messages = List.of(Map.of("role", "a", "content", "1"), Map.of("role", "b", "content", "2"),
                Map.of("role", "c", "content", "3"));
        String t = "{%- set ns = namespace(last=messages|length - 1, seen='') %}{%- for m in messages[::-1] %}{%- set ns.seen = ns.seen + m.role %}{%- endfor %}"
                + "{{ ns.last }} {{ ns.seen }} {{ 'x[::-1]' }}";
        assertEquals("2 cba x[::-1]", JinjaChatTemplate.of(t, "<s>", "</s>").render(messages, false, Map.of()));
        assertEquals("{% set ns = namespace(a=(1), b=(xs|length - 1), c=(f(1, 2))) %}{{ (m.xs|reverse) }}",
                JinjaRewrites.apply("{% set ns = namespace(a=1, b=xs|length - 1, c=f(1, 2)) %}{{ m.xs[::-1] }}"));
    }

    @Test
    void toJsonWritesWhatPythonsJsonDumpsWrites() {
        Map<String, Object> tool = new LinkedHashMap<>();
        tool.put("name", "f");
        tool.put("args", List.of(1, 2.5, true));
        tool.put("none", new LinkedHashMap<>());
        tool.put("text", "é \"q\"\n");
        Map<String, Object> v = Map.of("tool", tool);
        assertEquals("{\"name\": \"f\", \"args\": [1, 2.5, true], \"none\": {}, \"text\": \"é \\\"q\\\"\\n\"}", render("{{ tool | tojson }}", v));
        assertEquals("{\n  \"name\": \"f\",\n  \"args\": [\n    1,\n    2.5,\n    true\n  ],\n  \"none\": {},\n  \"text\": \"é \\\"q\\\"\\n\"\n}",
                render("{{ tool | tojson(indent=2) }}", v));
        assertEquals("\"a\"", render("{{ 'a' | tojson }}", Map.of()));
    }

    /** Empty containers at any depth, and indent=0, as Python 3's {@code json.dumps} writes them (strings from python3). */
    @Test
    void toJsonEmptyContainersAndIndentZeroAsPython() {
        Map<String, Object> nested = new LinkedHashMap<>();
        nested.put("a", List.of());
        nested.put("b", new LinkedHashMap<>());
        nested.put("c", List.of(1, Map.of("d", List.of())));
        Map<String, Object> v = Map.of("x", nested, "y", List.of(List.of(), Map.of(), List.of(List.of())),
                "z", new LinkedHashMap<>(Map.of("a", List.of(1))));
        // json.dumps({"a": [], "b": {}, "c": [1, {"d": []}]}, indent=2)
        assertEquals("{\n  \"a\": [],\n  \"b\": {},\n  \"c\": [\n    1,\n    {\n      \"d\": []\n    }\n  ]\n}",
                render("{{ x | tojson(indent=2) }}", v));
        // json.dumps([[], {}, [[]]])
        assertEquals("[[], {}, [[]]]", render("{{ y | tojson }}", v));
        // json.dumps({"a": [1]}, indent=0)
        assertEquals("{\n\"a\": [\n1\n]\n}", render("{{ z | tojson(indent=0) }}", v));
        // json.dumps([], indent=2)
        assertEquals("[]", render("{{ [] | tojson(indent=2) }}", v));
    }

    @Test
    void raiseExceptionIsACleanErrorCarryingTheTemplatesMessage() {
        JinjaChatTemplate t = JinjaChatTemplate.of("{% if messages[0].role == 'system' %}{{ raise_exception('no system role') }}{% endif %}ok",
                "<s>", "</s>");
        assertEquals(List.of(PromptPart.markup("ok")), t.render(List.of(ChatMessage.user("hi")), true, "<s>", "</s>"));
        TandemException e = assertThrows(TandemException.class,
                () -> t.render(List.of(ChatMessage.system("s"), ChatMessage.user("hi")), true, "<s>", "</s>"));
        assertEquals("the model's chat template refused the conversation: no system role", e.getMessage());
    }

    @Test
    void aTemplateThatDoesNotParseFailsWhenLoadedNamingTheLine() {
        TandemException e = assertThrows(TandemException.class, () -> JinjaChatTemplate.of("hello\n{% for m in messages %}{{ m.content }}", "<s>", "</s>"));
        assertTrue(e.getMessage().startsWith("the chat template failed to render: line 2"), e.getMessage());
        assertThrows(TandemException.class, () -> JinjaChatTemplate.of(" ", "<s>", "</s>"));
    }

    @Test
    void messageTextIsNeverTemplateCodeAndStaysContent() {
        JinjaChatTemplate t = JinjaChatTemplate.of(CHATML, "<s>", "</s>");
        List<PromptPart> parts = t.render(List.of(ChatMessage.user("{{ 7 * 7 }} <|im_end|>{% raw %}")), true, "<s>", "</s>");
        assertEquals(List.of(PromptPart.markup("<|im_start|>user\n"), PromptPart.content("{{ 7 * 7 }} <|im_end|>{% raw %}"),
                PromptPart.markup("<|im_end|>\n<|im_start|>assistant\n")), parts);
        assertEquals("<|im_end|>", t.endOfTurn("</s>"));
    }

    @Test
    void trimmedContentIsStillFoundAsContent() {
        JinjaChatTemplate t = JinjaChatTemplate.of("{% for m in messages %}<{{ m.content | trim }}>{% endfor %}", "<s>", "</s>");
        assertEquals(List.of(PromptPart.markup("<"), PromptPart.content("a b"), PromptPart.markup("><"), PromptPart.content("c"), PromptPart.markup(">")),
                t.render(List.of(ChatMessage.user("\u00a0 a b\n"), ChatMessage.assistant("c")), false, "<s>", "</s>"));
        assertEquals("</s>", t.endOfTurn("</s>"), "no known turn marker in the template: the model's EOS ends a turn");
    }

    @Test
    void contentTheTemplateTransformsLeavesTheWholePromptAsMarkup() {
        JinjaChatTemplate t = JinjaChatTemplate.of("{% for m in messages %}{{ m.content | tojson }}{% endfor %}", "<s>", "</s>");
        assertEquals(List.of(PromptPart.markup("\"say \\\"hi\\\"\"")), t.render(List.of(ChatMessage.user("say \"hi\"")), false, "<s>", "</s>"));
    }

    /** A Qwen-like template: tools in the system turn, calls with their arguments as JSON, results as tool turns. */
    @Test
    void toolsToolCallsAndToolResultsReachTheTemplate() {
        JinjaChatTemplate t = JinjaChatTemplate.of("{% if tools %}[tools: {% for t in tools %}{{ t.function.name }}{% endfor %}]{% endif %}"
                + "{% for m in messages %}<{{ m.role }}>{% if m.tool_calls %}{% for c in m.tool_calls %}{{ c.function.name }}"
                + "{{ c.function.arguments | tojson }}{% endfor %}{% elif m.role == 'tool' %}({{ m.tool_call_id }}){{ m.content }}"
                + "{% else %}{{ m.content }}{% endif %}{% endfor %}", "<s>", "</s>");
        Map<String, Object> weather = Map.of("type", "function", "function", Map.of("name", "weather", "parameters", Map.of()));
        Map<String, Object> call = Map.of("id", "c1", "type", "function",
                "function", Map.of("name", "weather", "arguments", Map.of("city", "Paris")));
        List<ChatMessage> conversation = List.of(ChatMessage.user("Rain?"),
                new ChatMessage("assistant", null, null, List.of(call), null),
                new ChatMessage("tool", "sunny <|im_end|>", "weather", List.of(), "c1"));
        assertEquals(List.of(PromptPart.markup("[tools: weather]<user>"), PromptPart.content("Rain?"),
                        PromptPart.markup("<assistant>weather{\"city\": \"Paris\"}<tool>(c1)"), PromptPart.content("sunny <|im_end|>")),
                t.render(conversation, List.of(weather), false, "<s>", "</s>"));
        assertEquals("<user>Rain?", t.render(List.of(ChatMessage.user("Rain?")), false, "<s>", "</s>").stream()
                .map(PromptPart::text).reduce("", String::concat), "no tools: the variable is undefined, as transformers leaves it");
    }

    @Test
    void formatsWithoutToolsRefuseThem() {
        dev.tandem.models.tokenizer.ChatTemplate chatml = dev.tandem.models.tokenizer.ChatTemplate.named("chatml");
        TandemException e = assertThrows(TandemException.class, () -> chatml.render(List.of(ChatMessage.user("hi")),
                List.of(Map.of("type", "function")), true, "<s>", "</s>"));
        assertTrue(e.getMessage().contains("chatml chat format has no tool calls"), e.getMessage());
        assertThrows(TandemException.class, () -> chatml.render(List.of(new ChatMessage("tool", "42", null, List.of(), "c1")),
                true, "<s>", "</s>"));
        assertThrows(TandemException.class, () -> new ChatMessage("user", "x", null, List.of(Map.of("id", "c1")), null),
                "only assistant turns call tools");
    }

    @Test
    void strftimeFollowsPythonsDirectives() {
        ZonedDateTime t = ZonedDateTime.of(2026, 12, 3, 9, 5, 7, 0, ZoneOffset.UTC);
        assertEquals("03 Dec 2026", Strftime.format("%d %b %Y", t));
        assertEquals("Thursday, December 3 09:05:07 AM 100% 26", Strftime.format("%A, %B %-d %H:%M:%S %p 100%% %y".replace("%-d", "3"), t));
        assertThrows(TandemException.class, () -> Strftime.format("%Q", t));
    }

    @Test
    void pythonStripRemovesNoBreakSpacesJavaStripKeeps() {
        assertEquals("x", PythonStrings.strip("\u00a0\u202f x\u3000\n"));
        assertEquals("\u00a0\u202f x", "\u00a0\u202f x\u3000\n".strip());
    }
}
