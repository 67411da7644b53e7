package dev.tandem.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tandem.models.Tokenizer;
import dev.tandem.models.tokenizer.ChatMessage;
import dev.tandem.models.tokenizer.ToolCallSyntax;
import java.time.Duration;
import java.util.ArrayList;
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
    /**
     * A stand-in syntax for text stories260K writes: the reply's first sentence is content, the rest a call of
     * {@code tell} with that text as a JSON string (a real model's syntax is in ToolCallSyntaxTest).
     */
    private static final ToolCallSyntax FIRST_SENTENCE = new ToolCallSyntax() {
        @Override
        public int holdFrom(String text) {
            int dot = text.indexOf('.');
            return dot < 0 ? -1 : dot + 1;
        }

        @Override
        public Reply parse(String text) {
            int dot = text.indexOf('.');
            return dot < 0 || dot == text.length() - 1 ? new Reply(text, List.of())
                    : new Reply(text.substring(0, dot + 1).strip(), List.of(new Call("tell", quoted(text.substring(dot + 1)))));
        }
    };

    private static String quoted(String s) {
        try {
            return ServerFixture.JSON.writeValueAsString(s);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

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

        @Override
        public ToolCallSyntax toolCalls() {
            return FIRST_SENTENCE;
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

    /** The calls the model writes come back as tool_calls, whole and streamed; without tools the reply is text. */
    @Test
    void writtenCallsComeBackAsToolCalls() throws Exception {
        ServerConfig config = new ServerConfig("127.0.0.1", 0, null, 4, 8, Duration.ofSeconds(30), 1 << 20, "ar", new Recording());
        try (ServerFixture f = new ServerFixture(config)) {
            String ask = "{\"model\":\"stories260K\",\"max_tokens\":40,\"temperature\":0,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]";
            String text = f.post("/v1/chat/completions", ask + "}").json().at("/choices/0/message/content").asText();
            int dot = text.indexOf('.');
            assertTrue(dot > 0 && dot < text.length() - 1, "the story has a first sentence and more: " + text);

            ServerFixture.Reply r = f.post("/v1/chat/completions", ask + "," + TOOLS + "}");
            assertEquals(200, r.status(), r.raw());
            assertEquals("tool_calls", r.json().at("/choices/0/finish_reason").asText());
            assertEquals(text.substring(0, dot + 1).strip(), r.json().at("/choices/0/message/content").asText());
            JsonNode call = r.json().at("/choices/0/message/tool_calls/0");
            assertEquals("function", call.path("type").asText());
            assertTrue(call.path("id").asText().matches("[A-Za-z0-9]{9}"), call.toString());
            assertEquals("tell", call.at("/function/name").asText());
            assertEquals(text.substring(dot + 1), ServerFixture.JSON.readValue(call.at("/function/arguments").asText(), String.class));

            StringBuilder content = new StringBuilder();
            List<JsonNode> deltas = new ArrayList<>();
            String finish = null;
            for (String line : f.post("/v1/chat/completions", ask + ",\"stream\":true," + TOOLS + "}").raw().split("\n")) {
                if (!line.startsWith("data: {")) {
                    continue;
                }
                JsonNode choice = ServerFixture.JSON.readTree(line.substring(6)).at("/choices/0");
                content.append(choice.at("/delta/content").asText(""));
                if (choice.at("/delta/tool_calls").isArray()) {
                    deltas.add(choice.at("/delta/tool_calls/0"));
                }
                if (!choice.path("finish_reason").isNull()) {
                    finish = choice.path("finish_reason").asText();
                }
            }
            assertEquals(text.substring(0, dot + 1), content.toString(), "streamed text stops where the call begins");
            assertEquals(1, deltas.size());
            assertEquals(0, deltas.get(0).path("index").asInt());
            assertEquals(call.at("/function/arguments").asText(), deltas.get(0).at("/function/arguments").asText());
            assertEquals("tool_calls", finish);
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
