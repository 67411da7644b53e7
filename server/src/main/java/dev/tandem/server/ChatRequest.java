package dev.tandem.server;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import dev.tandem.core.TandemException;
import dev.tandem.models.tokenizer.ChatMessage;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A chat completion's conversation as the OpenAI API sends it: {@code messages} (system, developer, user,
 * assistant with optional {@code tool_calls}, tool results) and the {@code tools} offered, read into what the
 * chat template renders. Each malformed field is a 400 naming it. The model's reply comes back as text: tool
 * calls it writes are not parsed into {@code tool_calls}.
 */
record ChatRequest(List<ChatMessage> messages, List<Map<String, Object>> tools) {
    private static final TypeReference<Map<String, Object>> OBJECT = new TypeReference<>() {};

    static ChatRequest parse(Params p) {
        List<Map<String, Object>> tools = tools(p.node("tools"));
        JsonNode choice = p.node("tool_choice");
        if (choice != null && !(choice.isTextual() && List.of("auto", "none").contains(choice.asText()))) {
            throw ApiError.unsupported("tool_choice", "tool_choice must be \"auto\" or \"none\": the server cannot force a tool call");
        }
        if (choice != null && choice.asText().equals("none")) {
            tools = List.of();
        }
        return new ChatRequest(messages(p.node("messages")), tools);
    }

    /** All the message text, for the length check made before tokenizing. */
    String text() {
        StringBuilder all = new StringBuilder();
        for (ChatMessage m : messages) {
            all.append(m.content() == null ? "" : m.content());
            m.toolCalls().forEach(c -> all.append(c));
        }
        tools.forEach(t -> all.append(t));
        return all.toString();
    }

    private static List<Map<String, Object>> tools(JsonNode node) {
        if (node == null) {
            return List.of();
        }
        if (!node.isArray()) {
            throw ApiError.invalid("tools", "'tools' must be an array of {\"type\": \"function\", \"function\": {...}} objects");
        }
        List<Map<String, Object>> out = new ArrayList<>();
        for (int i = 0; i < node.size(); i++) {
            JsonNode t = node.get(i);
            if (!t.isObject() || !"function".equals(t.path("type").asText()) || !t.path("function").path("name").isTextual()) {
                throw ApiError.invalid("tools[" + i + "]", "tool " + i + " must be {\"type\": \"function\", \"function\": {\"name\": ...}}");
            }
            out.add(Exchange.JSON.convertValue(t, OBJECT));
        }
        return out;
    }

    private static List<ChatMessage> messages(JsonNode node) {
        if (node == null) {
            throw ApiError.missing("messages");
        }
        if (!node.isArray() || node.isEmpty()) {
            throw ApiError.invalid("messages", "'messages' must be a non-empty array of {role, content} objects");
        }
        List<ChatMessage> out = new ArrayList<>();
        for (int i = 0; i < node.size(); i++) {
            out.add(message(node.get(i), "messages[" + i + "]"));
        }
        return out;
    }

    private static ChatMessage message(JsonNode m, String at) {
        JsonNode role = m.get("role");
        if (role == null || !role.isTextual() || !List.of("system", "developer", "user", "assistant", "tool").contains(role.asText())) {
            throw ApiError.invalid(at + ".role", at + " needs a role: system, developer, user, assistant or tool");
        }
        String r = role.asText().equals("developer") ? "system" : role.asText();
        List<Map<String, Object>> calls = r.equals("assistant") ? toolCalls(m.get("tool_calls"), at + ".tool_calls") : List.of();
        JsonNode content = m.get("content");
        String text = calls.isEmpty() || content != null && !content.isNull() ? content(content, at + ".content") : null;
        String callId = null;
        if (r.equals("tool")) {
            if (!m.path("tool_call_id").isTextual()) {
                throw ApiError.invalid(at + ".tool_call_id", "a tool message needs the tool_call_id of the call it answers");
            }
            callId = m.get("tool_call_id").asText();
        }
        String name = m.path("name").isTextual() ? m.get("name").asText() : null;
        try {
            return new ChatMessage(r, text, name, calls, callId);
        } catch (TandemException e) {
            throw ApiError.invalid(at, e.getMessage());
        }
    }

    /** A message's text: a string, or an array of {"type":"text","text":...} parts. */
    private static String content(JsonNode c, String at) {
        if (c != null && c.isTextual()) {
            return c.asText();
        }
        if (c != null && c.isArray()) {
            StringBuilder sb = new StringBuilder();
            for (JsonNode part : c) {
                if (!"text".equals(part.path("type").asText()) || !part.path("text").isTextual()) {
                    throw ApiError.unsupported(at, "only text content parts are supported");
                }
                sb.append(part.get("text").asText());
            }
            return sb.toString();
        }
        throw ApiError.invalid(at, at + " needs a content string");
    }

    /**
     * An assistant turn's calls. OpenAI sends each call's arguments as a JSON string; templates expect an object
     * (transformers' convention; several write {@code arguments | tojson}), so a string that holds a JSON object
     * becomes that object, and any other string stays as sent.
     */
    private static List<Map<String, Object>> toolCalls(JsonNode node, String at) {
        if (node == null || node.isNull()) {
            return List.of();
        }
        if (!node.isArray()) {
            throw ApiError.invalid(at, "'tool_calls' must be an array of {id, type, function: {name, arguments}} objects");
        }
        List<Map<String, Object>> out = new ArrayList<>();
        for (int i = 0; i < node.size(); i++) {
            JsonNode c = node.get(i);
            JsonNode f = c.path("function");
            if (!f.path("name").isTextual()) {
                throw ApiError.invalid(at + "[" + i + "].function.name", "tool call " + i + " needs a function name");
            }
            Map<String, Object> function = new LinkedHashMap<>();
            function.put("name", f.get("name").asText());
            function.put("arguments", arguments(f.get("arguments")));
            Map<String, Object> call = new LinkedHashMap<>();
            if (c.path("id").isTextual()) {
                call.put("id", c.get("id").asText());
            }
            call.put("type", "function");
            call.put("function", function);
            out.add(call);
        }
        return out;
    }

    private static Object arguments(JsonNode a) {
        if (a == null || a.isNull()) {
            return Map.of();
        }
        if (a.isTextual()) {
            try {
                JsonNode parsed = Exchange.JSON.readTree(a.asText());
                return parsed != null && parsed.isObject() ? Exchange.JSON.convertValue(parsed, OBJECT) : a.asText();
            } catch (JsonProcessingException e) {
                return a.asText();
            }
        }
        return Exchange.JSON.convertValue(a, Object.class);
    }
}
