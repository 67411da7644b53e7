package dev.tandem.chat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tandem.chat.JinjaConformanceTest.Reference;
import dev.tandem.models.tokenizer.ChatMessage;
import dev.tandem.models.tokenizer.PromptPart;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The conversations that offer tools, call them and return their results, given as {@link ChatMessage}s and a
 * tools list (the path chat and the server take), render to transformers' reference string for every template
 * that renders them there. References from {@code bench/fixtures/chat-templates.sh}; without them the test skips.
 */
class JinjaToolConversationsTest {
    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.tandem.chat.JinjaConformanceTest#templates")
    @SuppressWarnings("unchecked")
    void toolConversationsRenderAsTransformersDoes(String name, Reference reference) throws IOException {
        int checked = 0;
        for (JinjaConformanceTest.Case c : JinjaConformanceTest.cases(reference)) {
            if (c.tools() == null || !c.want().has("text")) {
                continue;
            }
            List<ChatMessage> messages = new ArrayList<>();
            for (Map<String, Object> m : c.messages()) {
                messages.add(new ChatMessage((String) m.get("role"), (String) m.get("content"), (String) m.get("name"),
                        (List<Map<String, Object>>) m.get("tool_calls"), (String) m.get("tool_call_id")));
            }
            List<PromptPart> parts = reference.template().render(messages, (List<Map<String, Object>>) c.tools(),
                    c.addGenerationPrompt(), reference.bos(), reference.eos());
            StringBuilder joined = new StringBuilder();
            parts.forEach(p -> joined.append(p.text()));
            // without date_string, Llama 3.2's template asks strftime_now for today's date
            String today = Strftime.format("%d %b %Y", java.time.ZonedDateTime.now());
            assertEquals(c.want().get("text").asText().replace("Today Date: 03 Dec 2026", "Today Date: " + today), joined.toString(),
                    name + " " + c.name());
            checked++;
        }
        assertTrue(checked > 0, name + ": no tool conversation checked");
    }
}
