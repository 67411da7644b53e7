package dev.tandem.models;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Turns decoded token bytes into text as tokens arrive, holding back an incomplete UTF-8 sequence until
 * the token that completes it.
 */
public final class TextStream {
    private final Tokenizer tokenizer;
    private final ByteArrayOutputStream pending = new ByteArrayOutputStream();
    private int prev;

    public TextStream(Tokenizer tokenizer, int prev) {
        this.tokenizer = tokenizer;
        this.prev = prev;
    }

    /** Text completed by {@code token} (possibly empty). */
    public String accept(int token) {
        pending.writeBytes(tokenizer.decode(prev, token));
        prev = token;
        byte[] bytes = pending.toByteArray();
        int complete = completePrefix(bytes);
        pending.reset();
        pending.write(bytes, complete, bytes.length - complete);
        return new String(bytes, 0, complete, StandardCharsets.UTF_8);
    }

    /** Whatever is left, invalid bytes replaced. */
    public String flush() {
        String s = pending.toString(StandardCharsets.UTF_8);
        pending.reset();
        return s;
    }

    /** Length of the longest prefix that does not end inside a UTF-8 sequence. */
    static int completePrefix(byte[] b) {
        int n = b.length;
        for (int back = 1; back <= Math.min(3, n); back++) {
            int c = b[n - back] & 0xFF;
            if ((c & 0xC0) == 0x80) {
                continue; // continuation byte: look further back for the lead
            }
            int need = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
            return need > back ? n - back : n;
        }
        return n;
    }

    /** Decodes a whole sequence of tokens that followed {@code prev}. */
    public static String decodeAll(Tokenizer tokenizer, int prev, int[] tokens) {
        TextStream s = new TextStream(tokenizer, prev);
        StringBuilder sb = new StringBuilder();
        for (int t : tokens) {
            sb.append(s.accept(t));
        }
        return sb.append(s.flush()).toString();
    }
}
