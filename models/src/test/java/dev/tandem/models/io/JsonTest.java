package dev.tandem.models.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tandem.core.TandemException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JsonTest {
    @Test
    void parsesEveryKindOfValueInFileOrder() {
        Object v = Json.parse("{\"b\": [1, 2.5, -3e2, \"x\\u00e9\\n\"], \"a\": {\"t\": true, \"f\": false, \"n\": null}, \"\": {}}");
        Map<String, Object> m = object(v);
        assertEquals(List.of("b", "a", ""), new ArrayList<>(m.keySet()));
        assertEquals(List.of(1.0, 2.5, -300.0, "xé\n"), m.get("b"));
        Map<String, Object> a = object(m.get("a"));
        assertEquals(Boolean.TRUE, a.get("t"));
        assertEquals(Boolean.FALSE, a.get("f"));
        assertTrue(a.containsKey("n") && a.get("n") == null);
        assertEquals(Map.of(), m.get(""));
    }

    @Test
    void readsUtf8BytesAsText() {
        assertEquals(List.of("Ġthe", "▁", "😀"), Json.parse("[\"Ġthe\", \"▁\", \"\\ud83d\\ude00\"]".getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void malformedDocumentsNameWhere() {
        for (String bad : new String[] {"{\"model\": ", "[1, 2", "{\"a\" 1}", "[1] [2]", "", "{\"a\": tru}", "[01]", "[\"\u0001\"]"}) {
            TandemException e = assertThrows(TandemException.class, () -> Json.parse(bad), bad);
            assertTrue(e.getMessage().startsWith("malformed JSON"), e.getMessage());
            assertTrue(!e.getMessage().contains("\u0001"), "control characters are escaped: " + e.getMessage());
        }
        TandemException e = assertThrows(TandemException.class, () -> Json.parse("{\n  \"a\": [1,\n  x]}"));
        assertTrue(e.getMessage().contains("line 3"), e.getMessage());
    }

    @Test
    void nestingIsBounded() {
        Json.parse("[".repeat(60) + "]".repeat(60));
        TandemException e = assertThrows(TandemException.class, () -> Json.parse("[".repeat(100_000) + "]".repeat(100_000)));
        assertTrue(e.getMessage().contains("nested deeper than 64"), e.getMessage());
    }

    @Test
    void writesIndentedWithEmptyContainersClosed() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", "a\"b\\c\n\u0001");
        m.put("ints", List.of(1, 2L, 3.0, 0.5));
        m.put("empty", Map.of());
        m.put("none", List.of());
        m.put("flag", true);
        m.put("nothing", null);
        String expected = """
                {
                  "name": "a\\"b\\\\c\\n\\u0001",
                  "ints": [
                    1,
                    2,
                    3,
                    0.5
                  ],
                  "empty": {},
                  "none": [],
                  "flag": true,
                  "nothing": null
                }
                """;
        assertEquals(expected, Json.write(m));
        Map<String, Object> parsed = new LinkedHashMap<>(m);
        parsed.put("ints", List.of(1.0, 2.0, 3.0, 0.5)); // numbers come back as Double
        assertEquals(parsed, Json.parse(Json.write(m)));
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("a", List.of(1, "x"));
        c.put("b", Map.of());
        assertEquals("{\"a\":[1,\"x\"],\"b\":{}}", Json.compact(c));
    }

    @Test
    void refusesWhatJsonCannotHold() {
        assertThrows(TandemException.class, () -> Json.write(List.of(Double.NaN)));
        assertThrows(TandemException.class, () -> Json.write(List.of(new Object())));
        assertEquals("\"tab\\there \\\"q\\\"\"", Json.quote("tab\there \"q\""));
    }

    @Test
    void safetensorsHeadersAreAlignedAndReadBack(@TempDir Path dir) {
        Map<String, Safetensors.Entry> tensors = new LinkedHashMap<>();
        tensors.put("blk.0.é", new Safetensors.Entry(new long[] {2, 3}, new float[] {1, 2, 3, 4, 5, 6}));
        tensors.put("v", new Safetensors.Entry(new long[] {1}, new float[] {7}));
        for (String meta : new String[] {"", "x", "xyz1234"}) {
            byte[] h = Safetensors.header(Map.of("k", meta), List.of(new Safetensors.Span("blk.0.é", "F32", new long[] {2, 3}, 24),
                    new Safetensors.Span("v", "F32", new long[] {1}, 4)));
            assertEquals(0, h.length % 8, "data starts at a multiple of 8");
            Path f = dir.resolve("t" + meta.length() + ".safetensors");
            Safetensors.write(f, tensors, Map.of("k", meta));
            Safetensors.Contents back = Safetensors.read(f);
            assertEquals(Map.of("k", meta), back.metadata());
            assertTrue(Arrays.equals(new float[] {1, 2, 3, 4, 5, 6}, back.tensors().get("blk.0.é").values()));
            assertTrue(Arrays.equals(new long[] {1}, back.tensors().get("v").shape()));
        }
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> object(Object v) {
        return (Map<String, Object>) v;
    }
}
