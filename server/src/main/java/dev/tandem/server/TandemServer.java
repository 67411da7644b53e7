package dev.tandem.server;

import dev.tandem.api.Engine;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
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
    private static final System.Logger LOG = System.getLogger("dev.tandem.server");

    private final Server jetty;
    private final ServerConnector connector;
    private final Admission admission;
    private final Metrics metrics;
    private final Workers workers;
    private final Completions completions;
    private final ServerConfig config;
    private final AtomicBoolean closed = new AtomicBoolean();

    private TandemServer(Engine engine, ServerConfig config) throws Exception {
        // tokenizing and decoding run on bounded pools of platform threads; HTTP I/O on virtual threads
        this.config = config;
        this.workers = new Workers(Runtime.getRuntime().availableProcessors(), config.maxActive(), config.maxQueued());
        this.admission = new Admission(config.maxActive(), config.maxQueued(), config.queueTimeout());
        this.metrics = new Metrics(engine, admission);
        ServerParts parts = new ServerParts(engine, config, admission, metrics);
        this.completions = new Completions(parts, workers);
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
        connector.setIdleTimeout(config.idleTimeout().toMillis()); // a body that stalls this long is answered 408
        jetty.addConnector(connector);
        jetty.setHandler(new ApiHandler(parts, completions));
        jetty.setStopTimeout(2_000);
        try {
            jetty.start();
        } catch (Exception e) {
            jetty.stop();
            workers.close();
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

    /** What stopping did: requests that finished within the deadline, and those cancelled at it. */
    public record Shutdown(int finished, int cancelled) {}

    /** Stops within the configured shutdown timeout (see {@link #shutdown(Duration)}). */
    @Override
    public void close() {
        shutdown(config.shutdownTimeout());
    }

    /**
     * Refuses new requests (503 shutting_down), lets running ones finish until {@code deadline}, cancels
     * those still running (their streams end before the next token, as when a client goes away), then stops
     * listening. Calling it again does nothing.
     */
    public Shutdown shutdown(Duration deadline) {
        if (!closed.compareAndSet(false, true)) {
            return new Shutdown(0, 0);
        }
        admission.close();
        int before = inFlight();
        long end = System.nanoTime() + deadline.toNanos();
        waitUntilIdle(end);
        int cancelled = inFlight();
        if (cancelled > 0) {
            completions.cancelAll();
            waitUntilIdle(System.nanoTime() + 5_000_000_000L);
        }
        try {
            jetty.setStopTimeout(0); // requests are drained above; a graceful stop would only wait for idle keep-alive connections
            jetty.stop();
        } catch (Exception e) {
            LOG.log(System.Logger.Level.INFO, "the HTTP server stopped with " + e);
        } finally {
            workers.close();
        }
        return new Shutdown(Math.max(0, before - cancelled), cancelled);
    }

    private int inFlight() {
        return admission.active() + admission.queued() + metrics.tokenizingNow();
    }

    private void waitUntilIdle(long endNanos) {
        while (inFlight() > 0 && System.nanoTime() < endNanos) {
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }
}
