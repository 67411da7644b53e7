package dev.tandem.server;

import dev.tandem.api.Engine;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

/**
 * The OpenAI-compatible HTTP server: Jetty 12 with each request on its own virtual thread, in front of
 * one {@link Engine} whose generations run on platform threads. {@code /v1/completions}, {@code /v1/chat/completions} (both with SSE streaming),
 * {@code /v1/models}, {@code /health} and {@code /metrics} (Prometheus text).
 *
 * <pre>{@code
 * try (Engine engine = Engine.open(model); TandemServer server = TandemServer.start(engine, ServerConfig.defaults())) {
 *     server.join();
 * }
 * }</pre>
 */
public final class TandemServer implements AutoCloseable {
    private final Server jetty;
    private final ServerConnector connector;
    private final Admission admission;
    private final Metrics metrics;
    private final ExecutorService decoders;

    private TandemServer(Engine engine, ServerConfig config) throws Exception {
        // decoding runs on platform threads (one per running generation); HTTP I/O on virtual threads
        this.decoders = Executors.newCachedThreadPool(Thread.ofPlatform().daemon().name("tandem-decode-", 0).factory());
        this.admission = new Admission(config.maxActive(), config.maxQueued(), config.queueTimeout());
        this.metrics = new Metrics();
        QueuedThreadPool threads = new QueuedThreadPool();
        threads.setName("tandem-http");
        threads.setVirtualThreadsExecutor(Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("tandem-request-", 0).factory()));
        this.jetty = new Server(threads);
        HttpConfiguration http = new HttpConfiguration();
        http.setSendServerVersion(false);
        http.setSendDateHeader(false);
        this.connector = new ServerConnector(jetty, new HttpConnectionFactory(http));
        connector.setHost(config.host());
        connector.setPort(config.port());
        jetty.addConnector(connector);
        jetty.setHandler(new ApiHandler(engine, config, admission, metrics, decoders));
        jetty.setStopTimeout(2_000);
        try {
            jetty.start();
        } catch (Exception e) {
            jetty.stop();
            decoders.shutdown();
            throw e;
        }
    }

    /** Binds and starts serving; fails with a clear message when the address is taken. */
    public static TandemServer start(Engine engine, ServerConfig config) {
        try {
            return new TandemServer(engine, config);
        } catch (java.io.IOException e) {
            throw new dev.tandem.core.TandemException("cannot listen on " + config.host() + ":" + config.port() + ": " + e.getMessage());
        } catch (Exception e) {
            throw new dev.tandem.core.TandemException("the server failed to start: " + e);
        }
    }

    /** The port it listens on (the one picked when the config said 0). */
    public int port() {
        return connector.getLocalPort();
    }

    public String host() {
        return connector.getHost();
    }

    /** Streams whose client went away mid-generation. */
    public long clientDisconnects() {
        return metrics.disconnects();
    }

    /** Generations running now. */
    public int activeRequests() {
        return admission.active();
    }

    Admission admission() {
        return admission;
    }

    /** Blocks until the server stops. */
    public void join() throws InterruptedException {
        jetty.join();
    }

    /** Refuses new requests (503), then stops. */
    @Override
    public void close() {
        admission.close();
        try {
            jetty.stop();
        } catch (Exception e) {
            throw new IllegalStateException("the server did not stop cleanly", e);
        } finally {
            decoders.shutdown();
        }
    }
}
