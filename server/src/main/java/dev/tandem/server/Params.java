package dev.tandem.server;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import java.util.function.Predicate;

/** Typed reads of a request body's fields, each failing with the 400 {@link ApiError} that names the field. */
final class Params {
    private final JsonNode body;

    Params(JsonNode body) {
        this.body = body;
    }

    JsonNode node(String name) {
        JsonNode n = body.get(name);
        return n == null || n.isNull() ? null : n;
    }

    boolean has(String name) {
        return node(name) != null;
    }

    String string(String name, String def) {
        return typed(name, def, JsonNode::isTextual, "must be a string", JsonNode::asText);
    }

    String requiredString(String name) {
        String s = string(name, null);
        if (s == null) {
            throw ApiError.missing(name);
        }
        return s;
    }

    boolean bool(String name, boolean def) {
        return typed(name, def, JsonNode::isBoolean, "must be true or false", JsonNode::asBoolean);
    }

    /** The field read by {@code value} where {@code is} accepts it; absent: def; else the 400 "'name' {@code must}". */
    private <T> T typed(String name, T def, Predicate<JsonNode> is, String must, Function<JsonNode, T> value) {
        JsonNode n = node(name);
        if (n == null) {
            return def;
        }
        if (!is.test(n)) {
            throw ApiError.invalid(name, "'" + name + "' " + must);
        }
        return value.apply(n);
    }

    /** An integer in [min, max], or def when absent. */
    Long integer(String name, Long def, long min, long max) {
        JsonNode n = node(name);
        if (n == null) {
            return def;
        }
        if (!n.isIntegralNumber() || !n.canConvertToLong()) {
            throw ApiError.invalid(name, "'" + name + "' must be an integer, got " + n);
        }
        long v = n.asLong();
        if (v < min || v > max) {
            throw ApiError.invalid(name, "'" + name + "' must be " + range(min, max) + ", got " + v);
        }
        return v;
    }

    /** A number in [min, max] (or (min, max] when minExclusive), or def when absent. */
    double number(String name, double def, double min, boolean minExclusive, double max) {
        JsonNode n = node(name);
        if (n == null) {
            return def;
        }
        if (!n.isNumber()) {
            throw ApiError.invalid(name, "'" + name + "' must be a number, got " + n);
        }
        double v = n.asDouble();
        if (!(minExclusive ? v > min : v >= min) || !(v <= max)) {
            throw ApiError.invalid(name, "'" + name + "' must be in " + (minExclusive ? "(" : "[") + min + ", " + max + "], got " + v);
        }
        return v;
    }

    /** OpenAI's {@code stop}: a string or an array of at most 4 non-empty strings. */
    List<String> stops() {
        JsonNode n = node("stop");
        List<String> out = new ArrayList<>();
        if (n == null) {
            return out;
        }
        if (n.isTextual()) {
            out.add(n.asText());
        } else if (n.isArray() && n.size() <= 4) {
            for (JsonNode s : n) {
                if (!s.isTextual()) {
                    throw ApiError.invalid("stop", "'stop' must be a string or an array of up to 4 strings");
                }
                out.add(s.asText());
            }
        } else {
            throw ApiError.invalid("stop", "'stop' must be a string or an array of up to 4 strings");
        }
        for (String s : out) {
            if (s.isEmpty()) {
                throw ApiError.invalid("stop", "a stop string must not be empty");
            }
        }
        return out;
    }

    private static String range(long min, long max) {
        return max == Long.MAX_VALUE ? ">= " + min : "between " + min + " and " + max;
    }
}
