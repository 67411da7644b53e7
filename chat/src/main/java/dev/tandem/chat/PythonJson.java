package dev.tandem.chat;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.util.DefaultIndenter;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.core.util.Separators;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.util.Collection;
import java.util.Map;

/**
 * JSON as Python's {@code json.dumps(x, ensure_ascii=False, indent=indent)} writes it, which is what
 * transformers' {@code tojson} gives chat templates: {@code ", "} between items and {@code ": "} after keys on
 * one line, or one item per line indented by {@code indent} spaces; empty containers stay {@code {}} and
 * {@code []}; non-ASCII text is not escaped. Models were trained on prompts with exactly these bytes (tool
 * schemas), so Jackson's compact form would be a different prompt.
 */
final class PythonJson {
    private static final JsonFactory FACTORY = new JsonFactory();

    private PythonJson() {}

    /** {@code value} (maps, collections, strings, numbers, booleans, null) as JSON; {@code indent} null for one line. */
    static String dumps(Object value, Integer indent) {
        StringWriter out = new StringWriter();
        try (JsonGenerator g = FACTORY.createGenerator(out)) {
            g.setPrettyPrinter(layout(indent));
            write(g, value);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toString();
    }

    private static void write(JsonGenerator g, Object v) throws IOException {
        switch (v) {
            case null -> g.writeNull();
            case Map<?, ?> m -> {
                g.writeStartObject();
                for (Map.Entry<?, ?> e : m.entrySet()) {
                    g.writeFieldName(String.valueOf(e.getKey()));
                    write(g, e.getValue());
                }
                g.writeEndObject();
            }
            case Collection<?> c -> {
                g.writeStartArray();
                for (Object o : c) {
                    write(g, o);
                }
                g.writeEndArray();
            }
            case Object[] a -> write(g, java.util.Arrays.asList(a));
            case Boolean b -> g.writeBoolean(b);
            case Integer i -> g.writeNumber(i);
            case Long l -> g.writeNumber(l);
            case java.math.BigInteger b -> g.writeNumber(b);
            case Number n -> g.writeNumber(n.doubleValue());
            default -> g.writeString(v.toString());
        }
    }

    /**
     * Python's separators and indentation from Jackson's own pretty printer: {@code ": "} after keys (its default puts a
     * space before the colon too), {@code ", "} between items on one line and {@code ","} before a line break, nothing
     * inside an empty container (its default writes one space), each level {@code indent} spaces deeper.
     */
    private static DefaultPrettyPrinter layout(Integer indent) {
        Separators.Spacing between = indent == null ? Separators.Spacing.AFTER : Separators.Spacing.NONE;
        Separators separators = Separators.createDefaultInstance()
                .withObjectFieldValueSpacing(Separators.Spacing.AFTER)
                .withObjectEntrySpacing(between)
                .withArrayValueSpacing(between)
                .withObjectEmptySeparator("")
                .withArrayEmptySeparator("");
        DefaultPrettyPrinter.Indenter lines = indent == null
                ? new DefaultPrettyPrinter.NopIndenter()
                : new DefaultIndenter(" ".repeat(indent), "\n");
        DefaultPrettyPrinter printer = new DefaultPrettyPrinter(separators);
        printer.indentObjectsWith(lines);
        printer.indentArraysWith(lines);
        return printer;
    }
}
