package dev.tandem.chat;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.PrettyPrinter;
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
            g.setPrettyPrinter(new Layout(indent));
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

    /** Python's separators and indentation; Jackson's default pretty printer puts a space before colons. */
    private static final class Layout implements PrettyPrinter {
        private final Integer indent;
        private int depth;

        Layout(Integer indent) {
            this.indent = indent;
        }

        private void newline(JsonGenerator g) throws IOException {
            if (indent != null) {
                g.writeRaw('\n');
                g.writeRaw(" ".repeat(indent * depth));
            }
        }

        @Override
        public void writeRootValueSeparator(JsonGenerator g) {}

        private void open(JsonGenerator g, char bracket) throws IOException {
            g.writeRaw(bracket);
            depth++;
        }

        private void separate(JsonGenerator g) throws IOException {
            g.writeRaw(indent == null ? ", " : ",");
            newline(g);
        }

        private void close(JsonGenerator g, char bracket, int items) throws IOException {
            depth--;
            if (items > 0) {
                newline(g);
            }
            g.writeRaw(bracket);
        }

        @Override
        public void writeStartObject(JsonGenerator g) throws IOException {
            open(g, '{');
        }

        @Override
        public void beforeObjectEntries(JsonGenerator g) throws IOException {
            newline(g);
        }

        @Override
        public void writeObjectFieldValueSeparator(JsonGenerator g) throws IOException {
            g.writeRaw(": ");
        }

        @Override
        public void writeObjectEntrySeparator(JsonGenerator g) throws IOException {
            separate(g);
        }

        @Override
        public void writeEndObject(JsonGenerator g, int entries) throws IOException {
            close(g, '}', entries);
        }

        @Override
        public void writeStartArray(JsonGenerator g) throws IOException {
            open(g, '[');
        }

        @Override
        public void beforeArrayValues(JsonGenerator g) throws IOException {
            newline(g);
        }

        @Override
        public void writeArrayValueSeparator(JsonGenerator g) throws IOException {
            separate(g);
        }

        @Override
        public void writeEndArray(JsonGenerator g, int values) throws IOException {
            close(g, ']', values);
        }
    }
}
