package dev.tandem.models.io;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.core.io.JsonStringEncoder;
import com.fasterxml.jackson.core.util.DefaultIndenter;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.core.util.Separators;
import dev.tandem.core.Shown;
import dev.tandem.core.TandemException;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * JSON for the files models read and write (tokenizer.json, config.json, safetensors headers), through Jackson's
 * streaming core (the project's one JSON library; the engine modules take only jackson-core, no data binding):
 * objects become {@code Map<String,Object>} in file order, arrays {@code List<Object>}, numbers {@code Double}, plus
 * {@code String}, {@code Boolean} and null. Nesting is bounded; a malformed document is one error naming where.
 */
public final class Json {
    private static final int MAX_DEPTH = 64;
    private static final JsonFactory FACTORY = JsonFactory.builder()
            // a vocabulary's keys are each seen once: sharing them through a symbol table only costs
            .disable(JsonFactory.Feature.CANONICALIZE_FIELD_NAMES)
            .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(MAX_DEPTH).build())
            .build();
    /** Two-space indents, {@code "key": value}, one entry a line, {@code {}} and {@code []} when empty. */
    private static final DefaultPrettyPrinter PRETTY = pretty();

    private Json() {}

    public static Object parse(String text) {
        return parse(text.getBytes(StandardCharsets.UTF_8));
    }

    /** Parses UTF-8 text (a file's bytes: Jackson reads bytes faster than a String). */
    public static Object parse(byte[] utf8) {
        try (JsonParser p = FACTORY.createParser(utf8)) {
            Object v = value(p, p.nextToken());
            if (p.nextToken() != null) {
                throw malformed(p.currentTokenLocation(), "trailing characters");
            }
            return v;
        } catch (StreamConstraintsException e) {
            throw malformed(e.getLocation(), "nested deeper than " + MAX_DEPTH + " levels");
        } catch (JsonProcessingException e) {
            throw malformed(e.getLocation(), e.getOriginalMessage());
        } catch (IOException e) {
            throw new UncheckedIOException(e); // a String source does no I/O
        }
    }

    private static Object value(JsonParser p, JsonToken t) throws IOException {
        if (t == null) {
            throw malformed(p.currentLocation(), "unexpected end");
        }
        return switch (t) {
            case START_OBJECT -> {
                Map<String, Object> m = new LinkedHashMap<>();
                for (String key = p.nextFieldName(); key != null; key = p.nextFieldName()) {
                    m.put(key, value(p, p.nextToken()));
                }
                yield m;
            }
            case START_ARRAY -> {
                List<Object> l = new ArrayList<>();
                for (JsonToken e = p.nextToken(); e != JsonToken.END_ARRAY; e = p.nextToken()) {
                    l.add(value(p, e));
                }
                yield l;
            }
            case VALUE_STRING -> p.getText();
            case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> p.getDoubleValue();
            case VALUE_TRUE -> Boolean.TRUE;
            case VALUE_FALSE -> Boolean.FALSE;
            case VALUE_NULL -> null;
            default -> throw malformed(p.currentTokenLocation(), "unexpected " + t);
        };
    }

    /** Jackson's description of the fault (file text in it escaped and capped) and where: line and column. */
    private static TandemException malformed(JsonLocation at, String what) {
        String where = at == null ? "" : " at line " + at.getLineNr() + ", column " + at.getColumnNr();
        return new TandemException("malformed JSON" + where + ": " + Shown.clean(String.valueOf(what)));
    }

    /**
     * {@code value} as indented JSON: maps (keys in their iteration order), lists, strings, numbers
     * (integral ones without a fraction), booleans and null.
     */
    public static String write(Object value) {
        return write(value, true) + "\n";
    }

    /** {@code value} as JSON on one line, without spaces (file headers). */
    public static String compact(Object value) {
        return write(value, false);
    }

    private static String write(Object value, boolean pretty) {
        StringWriter out = new StringWriter();
        try (JsonGenerator g = FACTORY.createGenerator(out)) {
            if (pretty) {
                g.setPrettyPrinter(PRETTY.createInstance()); // a printer keeps its nesting level: one per document
            }
            write(g, value, 0);
        } catch (IOException e) {
            throw new UncheckedIOException(e); // a StringWriter does no I/O
        }
        return out.toString();
    }

    private static void write(JsonGenerator g, Object v, int depth) throws IOException {
        if (depth > MAX_DEPTH) {
            throw new TandemException("cannot write JSON nested deeper than " + MAX_DEPTH);
        }
        switch (v) {
            case null -> g.writeNull();
            case String s -> g.writeString(s);
            case Boolean b -> g.writeBoolean(b);
            case Integer n -> g.writeNumber(n);
            case Long n -> g.writeNumber(n);
            case Number n -> {
                double d = n.doubleValue();
                if (!Double.isFinite(d)) {
                    throw new TandemException("cannot write " + d + " as JSON");
                }
                if (d == Math.rint(d) && Math.abs(d) < 1e15) {
                    g.writeNumber((long) d);
                } else {
                    g.writeNumber(d);
                }
            }
            case Map<?, ?> m -> {
                g.writeStartObject();
                for (Map.Entry<?, ?> e : m.entrySet()) {
                    g.writeFieldName(String.valueOf(e.getKey()));
                    write(g, e.getValue(), depth + 1);
                }
                g.writeEndObject();
            }
            case List<?> l -> {
                g.writeStartArray();
                for (Object o : l) {
                    write(g, o, depth + 1);
                }
                g.writeEndArray();
            }
            default -> throw new TandemException("cannot write a " + v.getClass().getSimpleName() + " as JSON");
        }
    }

    /** A JSON string literal. */
    public static String quote(String v) {
        return '"' + new String(JsonStringEncoder.getInstance().quoteAsString(v)) + '"';
    }

    private static DefaultPrettyPrinter pretty() {
        Separators s = Separators.createDefaultInstance()
                .withObjectFieldValueSpacing(Separators.Spacing.AFTER)
                .withObjectEmptySeparator("")
                .withArrayEmptySeparator("");
        DefaultIndenter lines = new DefaultIndenter("  ", "\n");
        DefaultPrettyPrinter p = new DefaultPrettyPrinter(s);
        p.indentObjectsWith(lines);
        p.indentArraysWith(lines);
        return p;
    }
}
