package dev.tandem.chat;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tandem.models.tokenizer.ToolCallSyntax.Call;
import java.util.ArrayList;
import java.util.List;

/** The JSON of written tool calls: {@code {"name": ..., "arguments" (or "parameters"): {...}}}, one or a list. */
final class ToolCallJson {
    private static final ObjectMapper JSON = new ObjectMapper();

    private ToolCallJson() {}

    /** The calls {@code text} holds (an object or an array of them), or null when it is not such JSON. */
    static List<Call> calls(String text) {
        JsonNode node;
        try {
            node = JSON.readTree(text.strip());
        } catch (JsonProcessingException e) {
            return null;
        }
        List<Call> out = new ArrayList<>();
        for (JsonNode c : node == null ? List.<JsonNode>of() : node.isArray() ? node : List.of(node)) {
            Call call = call(c);
            if (call == null) {
                return null;
            }
            out.add(call);
        }
        return out.isEmpty() ? null : out;
    }

    /** A function's name and arguments written apart (DeepSeek's form), or null when the arguments are not JSON. */
    static Call call(String name, String arguments) {
        try {
            JsonNode args = JSON.readTree(arguments.strip());
            return args == null ? null : new Call(name, args.toString());
        } catch (JsonProcessingException e) {
            return null;
        }
    }

    private static Call call(JsonNode c) {
        if (!c.isObject() || !c.path("name").isTextual()) {
            return null;
        }
        JsonNode args = c.has("arguments") ? c.get("arguments") : c.get("parameters");
        String arguments = args == null || args.isNull() ? "{}" : args.isTextual() ? args.asText() : args.toString();
        return new Call(c.get("name").asText(), arguments);
    }
}
