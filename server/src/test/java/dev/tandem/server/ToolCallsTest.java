package dev.tandem.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tandem.models.Tokenizer;
import dev.tandem.models.tokenizer.ChatMessage;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * OpenAI's tool fields reach the chat template: the tools offered, an assistant turn's calls (arguments sent as
 * a JSON string arrive as an object, as templates expect), a tool's result with the call it answers. A template
 * that cannot write tools, and malformed tool fields, are 400s naming the field.
 */
class ToolCallsTest {
    /** Records what it was asked to render; the prompt itself is the plain one. */
    private static final class Recording implements ChatTemplate {
        final AtomicReference<List<ChatMessage>> messages = new AtomicReference<>();
        final AtomicReference<List<Map<String, Object>>> tools = new AtomicReference<>();

        @Override
        public String render(List<ChatMessage> m) {
            return "user: tell a story\nassistant:";
        }

        @Override
        public int[] encode(List<ChatMessage> m, List<Map<String, Object>> t, Tokenizer tokenizer) {
            messages.set(m);
            tools.set(t);
            return tokenizer.encode(render(m), true, false);
        }

        @Override
        public List<String> stops() {
            return List.of();
        }
    }

    private static final String TOOLS = "\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"weather\",\"parameters\":"
            + "{\"type\":\"object\",\"properties\":{\"city\":{\"type\":\"string\"}}}}}]";
    private static final String CONVERSATION = "\"messages\":[{\"role\":\"developer\",\"content\":\"be brief\"},"
            + "{\"role\":\"user\",\"content\":\"Rain in Paris?\"},"
            + "{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[{\"id\":\"c1\",\"type\":\"function\","
            + "\"function\":{\"name\":\"weather\",\"arguments\":\"{\\\"city\\\": \\\"Paris\\\"}\"}}]},"
            + "{\"role\":\"tool\",\"tool_call_id\":\"c1\",\"content\":\"sunny\"}]";

    @Test
    void toolsCallsAndResultsReachTheTemplate() throws Exception {
        Recording template = new Recording();
        ServerConfig config = new ServerConfig("127.0.0.1", 0, null, 4, 8, Duration.ofSeconds(30), 1 << 20, "ar", template);
        try (ServerFixture f = new ServerFixture(config)) {
            ServerFixture.Reply r = f.post("/v1/chat/completions", "{\"model\":\"stories260K\",\"max_tokens\":4," + TOOLS + "," + CONVERSATION + "}");
            assertEquals(200, r.status(), r.raw());
            Map<String, Object> tool = template.tools.get().get(0);
            assertEquals(Map.of("name", "weather", "parameters", Map.of("type", "object", "properties", Map.of("city", Map.of("type", "string")))),
                    tool.get("function"));
            List<ChatMessage> m = template.messages.get();
            assertEquals(List.of("system", "user", "assistant", "tool"), m.stream().map(ChatMessage::role).toList(), "developer is the system role");
            assertEquals(null, m.get(2).content());
            assertEquals(Map.of("id", "c1", "type", "function", "function", Map.of("name", "weather", "arguments", Map.of("city", "Paris"))),
                    m.get(2).toolCalls().get(0));
            assertEquals("c1", m.get(3).toolCallId());
            assertEquals("sunny", m.get(3).content());

            f.post("/v1/chat/completions", "{\"model\":\"stories260K\",\"max_tokens\":1,\"tool_choice\":\"none\"," + TOOLS + "," + CONVERSATION + "}");
            assertEquals(List.of(), template.tools.get(), "tool_choice none: no tools offered");
        }
    }

    @Test
    void malformedToolFieldsAndTemplatesWithoutToolsAre400sNamingTheField() throws Exception {
        try (ServerFixture f = new ServerFixture()) { // the plain role: text template
            ServerFixture.Reply r = f.post("/v1/chat/completions", "{\"model\":\"stories260K\"," + TOOLS + "," + CONVERSATION + "}");
            assertEquals(400, r.status(), r.raw());
            assertEquals("tools", r.json().path("error").path("param").asText());
            assertTrue(r.json().path("error").path("message").asText().contains("no chat template that writes tool calls"), r.raw());

            r = f.post("/v1/chat/completions", "{\"model\":\"stories260K\",\"messages\":[{\"role\":\"tool\",\"content\":\"sunny\"}]}");
            assertEquals(400, r.status(), r.raw());
            assertEquals("messages[0].tool_call_id", r.json().path("error").path("param").asText());

            r = f.post("/v1/chat/completions", "{\"model\":\"stories260K\",\"tools\":[{\"type\":\"function\"}],"
                    + "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
            assertEquals("tools[0]", r.json().path("error").path("param").asText(), r.raw());

            r = f.post("/v1/chat/completions", "{\"model\":\"stories260K\",\"tool_choice\":\"required\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
            assertEquals("unsupported_value", r.json().path("error").path("code").asText(), r.raw());

            r = f.post("/v1/chat/completions", "{\"model\":\"stories260K\",\"messages\":[{\"role\":\"assistant\",\"tool_calls\":[{\"function\":{}}]}]}");
            assertEquals("messages[0].tool_calls[0].function.name", r.json().path("error").path("param").asText(), r.raw());

            r = f.post("/v1/completions", "{\"model\":\"stories260K\",\"prompt\":\"hi\"," + TOOLS + "}");
            assertEquals("tools", r.json().path("error").path("param").asText(), "text completions take no tools: " + r.raw());
        }
    }
}
