package dev.tandem.bench.fuzz;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.SplittableRandom;

/**
 * Malformed requests against a running server, over raw sockets so that broken HTTP can be sent too: JSON
 * bodies with fields removed, retyped, oversized or nested without end, invalid UTF-8, truncated bodies,
 * lying Content-Length headers, unknown routes and methods. The contract: an answer within the time
 * limit, never a 5xx (505 for an HTTP version the server does not speak aside), and a 4xx from the API
 * carries an OpenAI-style error body.
 */
public final class HttpFuzz {
    private static final String[] BODIES = {
        "{\"model\":\"stories260K\",\"prompt\":\"Once upon a time\",\"max_tokens\":8}",
        "{\"model\":\"stories260K\",\"prompt\":\"Once\",\"max_tokens\":8,\"stream\":true,\"temperature\":0.8,\"seed\":1}",
        "{\"model\":\"stories260K\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}],\"max_tokens\":8}",
        "{\"model\":\"stories260K\",\"prompt\":[1,2,3],\"max_tokens\":8,\"method\":\"lookup\",\"stop\":[\"dog\"]}",
    };
    private static final String[] FIELDS = {"model", "prompt", "max_tokens", "stream", "temperature", "top_p", "top_k", "seed",
        "messages", "stop", "method", "n", "min_p", "logprobs", "stream_options", "max_completion_tokens"};
    private static final String[] VALUES = {"null", "-1", "0", "1e308", "-1e308", "9223372036854775808", "\"\"", "\"x\"", "[]", "{}",
        "true", "[null]", "[{\"role\":\"user\"}]", "\"\\ud800\"", "0.5", "[\"a\",\"b\",\"c\",\"d\",\"e\"]", "99999999999"};

    private final SplittableRandom rnd;
    private final int port;

    public HttpFuzz(long seed, int port) {
        this.rnd = new SplittableRandom(seed);
        this.port = port;
    }

    /** One request: a description and its raw bytes. */
    public record Request(String how, byte[] bytes) {}

    public Request next() {
        String base = BODIES[rnd.nextInt(BODIES.length)];
        String path = base.contains("messages") ? "/v1/chat/completions" : "/v1/completions";
        int kind = rnd.nextInt(100);
        if (kind < 40) {
            String field = FIELDS[rnd.nextInt(FIELDS.length)];
            String value = VALUES[rnd.nextInt(VALUES.length)];
            String body = base.substring(0, base.length() - 1) + ",\"" + field + "\":" + value + "}";
            return post(path, body.getBytes(StandardCharsets.UTF_8), field + "=" + value);
        }
        if (kind < 55) {
            byte[] b = base.getBytes(StandardCharsets.UTF_8);
            int cut = rnd.nextInt(b.length);
            byte[] g = b.clone();
            int flips = 1 + rnd.nextInt(4);
            for (int i = 0; i < flips; i++) {
                g[rnd.nextInt(g.length)] = (byte) rnd.nextInt(256);
            }
            return rnd.nextBoolean() ? post(path, java.util.Arrays.copyOf(b, cut), "body cut at " + cut)
                    : post(path, g, flips + " random bytes in the body");
        }
        if (kind < 62) {
            int depth = 1000 + rnd.nextInt(100_000);
            String body = "{\"model\":\"stories260K\",\"prompt\":" + "[".repeat(depth) + "]".repeat(depth) + "}";
            return post(path, body.getBytes(StandardCharsets.UTF_8), "arrays nested " + depth + " deep");
        }
        if (kind < 68) {
            int n = 1000 + rnd.nextInt(400_000);
            String body = "{\"model\":\"stories260K\",\"max_tokens\":4,\"prompt\":\"" + "story ".repeat(n / 6) + "\"}";
            return post(path, body.getBytes(StandardCharsets.UTF_8), "a prompt of " + n + " characters");
        }
        if (kind < 76) {
            byte[] b = base.getBytes(StandardCharsets.UTF_8);
            long declared = switch (rnd.nextInt(3)) {
                case 0 -> b.length + 1 + rnd.nextInt(100);
                case 1 -> -1;
                default -> Long.MAX_VALUE;
            };
            String head = "POST " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nConnection: close\r\n"
                    + "Content-Length: " + declared + "\r\n\r\n";
            return new Request("Content-Length " + declared + " for " + b.length + " bytes", concat(head.getBytes(StandardCharsets.US_ASCII), b));
        }
        if (kind < 84) {
            String[] lines = {"GET /v1/completions HTTP/1.1", "DELETE /health HTTP/1.1", "POST /v1/nothing HTTP/1.1",
                "GET /v1/models/%00%ff HTTP/1.1", "GET /" + "a".repeat(10_000) + " HTTP/1.1", "BREW /health HTTP/1.1",
                "GET /health HTTP/9.9", "GET /health", "\u0000\u0001garbage"};
            String line = lines[rnd.nextInt(lines.length)];
            return new Request("request line " + line.substring(0, Math.min(40, line.length())),
                    (line + "\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
        }
        if (kind < 92) {
            String[] headers = {"Content-Type: text/plain", "Content-Type: application/json; charset=latin1", "Transfer-Encoding: chunked",
                "Authorization: Bearer " + "k".repeat(5000), "X-Big: " + "v".repeat(20_000), "Content-Encoding: gzip"};
            String h = headers[rnd.nextInt(headers.length)];
            byte[] b = base.getBytes(StandardCharsets.UTF_8);
            String head = "POST " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n" + h + "\r\n"
                    + (h.startsWith("Transfer-Encoding") ? "" : "Content-Length: " + b.length + "\r\n") + "\r\n";
            byte[] body = h.startsWith("Transfer-Encoding") ? "zz\r\nnot hex\r\n".getBytes(StandardCharsets.US_ASCII) : b;
            return new Request("header " + h.substring(0, Math.min(40, h.length())), concat(head.getBytes(StandardCharsets.US_ASCII), body));
        }
        byte[] junk = new byte[1 + rnd.nextInt(2000)];
        for (int i = 0; i < junk.length; i++) {
            junk[i] = (byte) rnd.nextInt(256);
        }
        return post(path, junk, junk.length + " bytes of noise as the body");
    }

    private Request post(String path, byte[] body, String how) {
        String head = "POST " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nConnection: close\r\n"
                + "Content-Length: " + body.length + "\r\n\r\n";
        return new Request(how, concat(head.getBytes(StandardCharsets.US_ASCII), body));
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = new byte[a.length + b.length];
        System.arraycopy(a, 0, out, 0, a.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    /**
     * Sends the request and checks the answer; returns normally for a 2xx, throws {@link Refused} for a
     * clean 4xx (or a connection the server closed on broken HTTP) and {@link IllegalStateException} for a
     * contract breach.
     */
    public void send(Request r) throws IOException {
        try (Socket s = new Socket("127.0.0.1", port)) {
            s.setSoTimeout((int) FuzzRun.LIMIT_MILLIS);
            try {
                s.getOutputStream().write(r.bytes());
                s.getOutputStream().flush();
            } catch (IOException e) {
                throw new Refused("the server closed the connection while the request was sent");
            }
            byte[] answer;
            try {
                answer = readAll(s.getInputStream());
            } catch (SocketTimeoutException e) {
                throw new IllegalStateException("no answer within " + FuzzRun.LIMIT_MILLIS / 1000 + " s");
            } catch (IOException e) {
                throw new Refused("the server reset the connection");
            }
            String text = new String(answer, StandardCharsets.UTF_8);
            if (text.isEmpty()) {
                throw new Refused("the server closed the connection without an answer");
            }
            if (!text.startsWith("HTTP/1.1 ")) {
                throw new IllegalStateException("not an HTTP answer: " + text.substring(0, Math.min(80, text.length())));
            }
            int status = Integer.parseInt(text.substring(9, 12));
            if (status == 505) {
                throw new Refused("505 (HTTP layer: the request line names an HTTP version other than 1.0 and 1.1)");
            }
            if (status >= 500) {
                throw new IllegalStateException("status " + status + ": " + text.substring(0, Math.min(300, text.length())));
            }
            if (status >= 400) {
                boolean json = text.contains("application/json");
                if (json && !text.contains("\"error\"")) {
                    throw new IllegalStateException("a " + status + " without an error object");
                }
                throw new Refused(status + (json ? " " + errorCode(text) : " (HTTP layer)"));
            }
        }
    }

    private static String errorCode(String text) {
        int i = text.indexOf("\"code\":\"");
        return i < 0 ? "?" : text.substring(i + 8, text.indexOf('"', i + 8));
    }

    private static byte[] readAll(InputStream in) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buf = new byte[8192];
        for (int n; (n = in.read(buf)) > 0; ) {
            out.write(buf, 0, n);
        }
        return out.toByteArray();
    }

    /** A clean refusal of a malformed request. */
    public static final class Refused extends dev.tandem.core.TandemException {
        public Refused(String why) {
            super(why);
        }
    }
}
