package dev.tandem.server;

import java.time.Duration;

/**
 * How the server listens and admits requests.
 *
 * @param host          address to bind (127.0.0.1 unless told otherwise)
 * @param port          port, 0 for any free one
 * @param apiKey        when set, {@code /v1/*} requests need {@code Authorization: Bearer <apiKey>}
 * @param maxActive     generations running at once (they decode together in batched passes)
 * @param maxQueued     requests waiting for a slot; beyond that the answer is 429
 * @param queueTimeout  longest a request waits for a slot before a 503
 * @param maxBodyBytes  largest request body; beyond that the answer is 413
 * @param defaultMethod decoding method of requests that name none
 * @param chatTemplate  renders chat messages into a prompt
 * @param idleTimeout   longest silence from a client (a request body that stalls is answered 408)
 * @param shutdownTimeout how long stopping waits for running requests before cancelling them
 */
public record ServerConfig(String host, int port, String apiKey, int maxActive, int maxQueued, Duration queueTimeout,
                           long maxBodyBytes, String defaultMethod, ChatTemplate chatTemplate, Duration idleTimeout,
                           Duration shutdownTimeout) {
    public ServerConfig {
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port must be between 0 and 65535, got " + port);
        }
        if (maxActive < 1 || maxQueued < 0 || maxBodyBytes < 1) {
            throw new IllegalArgumentException("max active must be >= 1, max queued >= 0, max body >= 1");
        }
        if (idleTimeout.isNegative() || idleTimeout.isZero() || shutdownTimeout.isNegative()) {
            throw new IllegalArgumentException("the idle timeout must be > 0 and the shutdown timeout >= 0");
        }
    }

    public ServerConfig(String host, int port, String apiKey, int maxActive, int maxQueued, Duration queueTimeout,
                        long maxBodyBytes, String defaultMethod, ChatTemplate chatTemplate) {
        this(host, port, apiKey, maxActive, maxQueued, queueTimeout, maxBodyBytes, defaultMethod, chatTemplate,
                Duration.ofSeconds(30), Duration.ofSeconds(10));
    }

    /** Loopback, port 8080, no key, 32 running + 128 queued (30 s), 1 MiB bodies, method ar, plain chat, 30 s idle, 10 s to stop. */
    public static ServerConfig defaults() {
        return new ServerConfig("127.0.0.1", 8080, null, 32, 128, Duration.ofSeconds(30), 1 << 20, "ar", ChatTemplate.plain());
    }

    public ServerConfig withTimeouts(Duration idle, Duration shutdown) {
        return new ServerConfig(host, port, apiKey, maxActive, maxQueued, queueTimeout, maxBodyBytes, defaultMethod, chatTemplate, idle, shutdown);
    }

    public ServerConfig withPort(int p) {
        return new ServerConfig(host, p, apiKey, maxActive, maxQueued, queueTimeout, maxBodyBytes, defaultMethod, chatTemplate, idleTimeout, shutdownTimeout);
    }

    public ServerConfig withApiKey(String key) {
        return new ServerConfig(host, port, key, maxActive, maxQueued, queueTimeout, maxBodyBytes, defaultMethod, chatTemplate, idleTimeout, shutdownTimeout);
    }

    public ServerConfig withLimits(int active, int queued, Duration timeout) {
        return new ServerConfig(host, port, apiKey, active, queued, timeout, maxBodyBytes, defaultMethod, chatTemplate, idleTimeout, shutdownTimeout);
    }

    public ServerConfig withMaxBodyBytes(long bytes) {
        return new ServerConfig(host, port, apiKey, maxActive, maxQueued, queueTimeout, bytes, defaultMethod, chatTemplate, idleTimeout, shutdownTimeout);
    }

    public ServerConfig withHost(String h) {
        return new ServerConfig(h, port, apiKey, maxActive, maxQueued, queueTimeout, maxBodyBytes, defaultMethod, chatTemplate, idleTimeout, shutdownTimeout);
    }

    public ServerConfig withDefaultMethod(String m) {
        return new ServerConfig(host, port, apiKey, maxActive, maxQueued, queueTimeout, maxBodyBytes, m, chatTemplate, idleTimeout, shutdownTimeout);
    }

    public ServerConfig withChatTemplate(ChatTemplate t) {
        return new ServerConfig(host, port, apiKey, maxActive, maxQueued, queueTimeout, maxBodyBytes, defaultMethod, t, idleTimeout, shutdownTimeout);
    }
}
