package dev.tandem.server;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/**
 * The routes. Each request is handled start to end on its own virtual thread with blocking calls; every
 * failure becomes an OpenAI-style error body with a documented status, never a stack trace.
 */
final class ApiHandler extends Handler.Abstract {
    private static final System.Logger LOG = System.getLogger("dev.tandem.server");

    private final ServerParts parts;
    private final Completions completions;
    private final long created = System.currentTimeMillis() / 1000;

    ApiHandler(ServerParts parts, Completions completions) {
        this.parts = parts;
        this.completions = completions;
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) {
        Exchange ex = new Exchange(request, response);
        String path = ex.path();
        String endpoint = "other";
        int status = 200;
        try {
            endpoint = route(ex, path);
        } catch (ApiError e) {
            status = e.status;
            if (status == 408) {
                LOG.log(System.Logger.Level.INFO, ex.method() + " " + path + ": " + e.getMessage());
            }
            reply(ex, e);
        } catch (org.eclipse.jetty.io.EofException gone) {
            status = 499; // the client closed the connection before the reply was written: nothing to answer
            LOG.log(System.Logger.Level.DEBUG, ex.method() + " " + path + ": client went away");
        } catch (Throwable t) {
            status = 500;
            LOG.log(System.Logger.Level.ERROR, "internal error on " + ex.method() + " " + path, t);
            reply(ex, new ApiError(500, "server_error", "internal_error", null,
                    "internal error (" + t.getClass().getSimpleName() + "); the server log has the details"));
        }
        parts.metrics().request(known(path), status);
        callback.succeeded();
        return true;
    }

    /** Runs the route and returns the endpoint's name for the metrics. */
    private String route(Exchange ex, String path) throws Exception {
        String method = ex.method();
        if (path.startsWith("/v1/") && parts.config().apiKey() != null) {
            authorize(ex.header("Authorization"));
        }
        switch (path) {
            case "/health" -> {
                allow(method, "GET");
                ObjectNode h = Exchange.JSON.createObjectNode();
                h.put("status", "ok");
                h.put("model", parts.engine().modelId());
                h.put("active", parts.admission().active());
                h.put("queued", parts.admission().queued());
                h.put("tokenizing", parts.metrics().tokenizingNow());
                h.put("prefilling", parts.metrics().prefillingNow());
                ex.json(200, h);
            }
            case "/metrics" -> {
                allow(method, "GET");
                ex.text(200, Metrics.CONTENT_TYPE, parts.metrics().render());
            }
            case "/v1/models" -> {
                allow(method, "GET");
                ObjectNode list = Exchange.JSON.createObjectNode();
                list.put("object", "list");
                ArrayNode data = list.putArray("data");
                data.add(model());
                ex.json(200, list);
            }
            case "/v1/completions" -> {
                allow(method, "POST");
                completions.handle(Completions.Kind.TEXT, ex);
            }
            case "/v1/chat/completions" -> {
                allow(method, "POST");
                completions.handle(Completions.Kind.CHAT, ex);
            }
            default -> {
                if (path.startsWith("/v1/models/")) {
                    allow(method, "GET");
                    String id = path.substring("/v1/models/".length());
                    if (!id.equals(parts.engine().modelId())) {
                        throw new ApiError(404, "invalid_request_error", "model_not_found", "model",
                                "the model '" + id + "' does not exist; this server has '" + parts.engine().modelId() + "'");
                    }
                    ex.json(200, model());
                } else {
                    throw new ApiError(404, "invalid_request_error", "not_found", null, "no route for " + method + " " + path);
                }
            }
        }
        return path;
    }

    private ObjectNode model() {
        ObjectNode m = Exchange.JSON.createObjectNode();
        m.put("id", parts.engine().modelId());
        m.put("object", "model");
        m.put("created", created);
        m.put("owned_by", "tandem");
        return m;
    }

    private static void allow(String method, String allowed) {
        if (!method.equals(allowed)) {
            throw new ApiError(405, "invalid_request_error", "method_not_allowed", null, method + " is not allowed here; use " + allowed);
        }
    }

    private void authorize(String header) {
        String expected = "Bearer " + parts.config().apiKey();
        if (header == null || !MessageDigest.isEqual(header.getBytes(StandardCharsets.UTF_8), expected.getBytes(StandardCharsets.UTF_8))) {
            throw new ApiError(401, "invalid_request_error", "invalid_api_key", null, header == null
                    ? "missing API key: send 'Authorization: Bearer <key>'" : "incorrect API key");
        }
    }

    private static void reply(Exchange ex, ApiError e) {
        if (ex.started()) {
            return; // a stream already under way has no status left to change; its client sees it end early
        }
        try {
            ex.error(e);
        } catch (Exception ignored) {
            // the client went away before its error could be sent
        }
    }

    private static String known(String path) {
        return switch (path) {
            case "/health", "/metrics", "/v1/models", "/v1/completions", "/v1/chat/completions" -> path;
            default -> path.startsWith("/v1/models/") ? "/v1/models/{id}" : "other";
        };
    }
}
