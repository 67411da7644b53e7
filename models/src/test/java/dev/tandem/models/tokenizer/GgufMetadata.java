package dev.tandem.models.tokenizer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The key/value section of a GGUF v2/v3 file, for tests that compare with llama.cpp's own output (the
 * engine's GGUF reader lives elsewhere). Values are boxed by their GGUF type: uint32 as Long, int32 as
 * Integer, float32 as Float and so on, so consumers see a mix of Number types as with any reader.
 */
final class GgufMetadata {
    private GgufMetadata() {}

    static Map<String, Object> read(Path file) {
        ByteBuffer b;
        try {
            b = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        if (b.getInt() != 0x46554747) {
            throw new IllegalArgumentException(file + " is not GGUF");
        }
        b.getInt(); // version
        b.getLong(); // tensors
        long n = b.getLong();
        Map<String, Object> md = new LinkedHashMap<>();
        for (long i = 0; i < n; i++) {
            String key = string(b);
            md.put(key, value(b, b.getInt()));
        }
        return md;
    }

    private static String string(ByteBuffer b) {
        byte[] s = new byte[(int) b.getLong()];
        b.get(s);
        return new String(s, StandardCharsets.UTF_8);
    }

    private static Object value(ByteBuffer b, int type) {
        return switch (type) {
            case 0 -> (short) (b.get() & 0xFF);
            case 1 -> b.get();
            case 2 -> b.getShort() & 0xFFFF;
            case 3 -> b.getShort();
            case 4 -> b.getInt() & 0xFFFFFFFFL;
            case 5 -> b.getInt();
            case 6 -> b.getFloat();
            case 7 -> b.get() != 0;
            case 8 -> string(b);
            case 9 -> {
                int t = b.getInt();
                long len = b.getLong();
                List<Object> l = new ArrayList<>();
                for (long i = 0; i < len; i++) {
                    l.add(value(b, t));
                }
                yield l;
            }
            case 10, 11 -> b.getLong();
            case 12 -> b.getDouble();
            default -> throw new IllegalArgumentException("GGUF type " + type);
        };
    }
}
