package dev.tandem.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;

/**
 * One HTTP request and its response, written with blocking calls (each request runs on its own virtual
 * thread): a JSON answer, an error body, or a stream of server-sent events.
 */
final class Exchange {
    static final ObjectMapper JSON = new ObjectMapper();

    private final Request request;
    private final Response response;
    private boolean started;

    Exchange(Request request, Response response) {
        this.request = request;
        this.response = response;
    }

    String method() {
        return request.getMethod();
    }

    String path() {
        return Request.getPathInContext(request);
    }

    String header(String name) {
        return request.getHeaders().get(name);
    }

    /** Whether anything was sent: after that an error can no longer become a status code. */
    boolean started() {
        return started;
    }

    /**
     * The body's bytes, read up to {@code maxBytes} (blocking I/O: fine on a virtual thread): 413 beyond, 408
     * when it stalls, 400 when it is empty or ends early. Parse them with {@link #parseJson}, CPU work.
     */
    byte[] body(long maxBytes) throws IOException {
        long declared = request.getLength();
        if (declared > maxBytes) {
            throw tooLarge(maxBytes);
        }
        byte[] body;
        try (InputStream in = Content.Source.asInputStream(request)) {
            body = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, maxBytes + 1));
        } catch (IOException e) {
            if (timedOut(e)) {
                throw new ApiError(408, "invalid_request_error", "request_timeout", null,
                        "the request body stopped arriving before it was complete; send the whole body without pausing");
            }
            throw new ApiError(400, "invalid_request_error", "incomplete_body", null,
                    "the request body ended before it was complete (" + e.getClass().getSimpleName() + ")");
        }
        if (body.length > maxBytes) {
            throw tooLarge(maxBytes);
        }
        if (body.length == 0) {
            throw new ApiError(400, "invalid_request_error", "invalid_json", null, "the request body is empty; send a JSON object");
        }
        return body;
    }

    /** A request body as a JSON object: 400 when it is not JSON or not an object. */
    static ObjectNode parseJson(byte[] body) {
        JsonNode node;
        try {
            node = JSON.readTree(body);
        } catch (IOException e) {
            String msg = e.getMessage() == null ? e.toString() : e.getMessage().lines().findFirst().orElse("");
            throw new ApiError(400, "invalid_request_error", "invalid_json", null, "the request body is not valid JSON: " + msg);
        }
        if (!(node instanceof ObjectNode o)) {
            throw new ApiError(400, "invalid_request_error", "invalid_json", null, "the request body must be a JSON object");
        }
        return o;
    }

    private static boolean timedOut(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof java.util.concurrent.TimeoutException || t instanceof java.net.SocketTimeoutException) {
                return true;
            }
        }
        return false;
    }

    private static ApiError tooLarge(long maxBytes) {
        return new ApiError(413, "invalid_request_error", "request_too_large", null,
                "the request body is larger than the server's limit of " + maxBytes + " bytes");
    }

    void json(int status, JsonNode body) throws IOException {
        send(status, "application/json", JSON.writeValueAsBytes(body));
    }

    void text(int status, String contentType, String body) throws IOException {
        send(status, contentType, body.getBytes(StandardCharsets.UTF_8));
    }

    void error(ApiError e) throws IOException {
        if (e.status == 429 || e.status == 503) {
            response.getHeaders().put(HttpHeader.RETRY_AFTER, "1");
        }
        if (e.status == 401) {
            response.getHeaders().put(HttpHeader.WWW_AUTHENTICATE, "Bearer");
        }
        json(e.status, errorBody(e));
    }

    static ObjectNode errorBody(ApiError e) {
        ObjectNode root = JSON.createObjectNode();
        ObjectNode err = root.putObject("error");
        err.put("message", e.getMessage());
        err.put("type", e.type);
        err.put("param", e.param);
        err.put("code", e.code);
        return root;
    }

    private void send(int status, String contentType, byte[] bytes) throws IOException {
        started = true;
        response.setStatus(status);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, contentType);
        response.getHeaders().put(HttpHeader.CONTENT_LENGTH, bytes.length);
        Content.Sink.write(response, true, ByteBuffer.wrap(bytes));
    }

    /** Starts a stream of server-sent events (status 200). */
    void startEvents() throws IOException {
        started = true;
        response.setStatus(200);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "text/event-stream; charset=utf-8");
        response.getHeaders().put(HttpHeader.CACHE_CONTROL, "no-cache");
    }

    /** Sends text of an event stream at once; fails with an IOException when the client has gone. */
    void write(String events) throws IOException {
        Content.Sink.write(response, false, ByteBuffer.wrap(events.getBytes(StandardCharsets.UTF_8)));
    }

    void endEvents() throws IOException {
        Content.Sink.write(response, true, ByteBuffer.allocate(0));
    }
}
