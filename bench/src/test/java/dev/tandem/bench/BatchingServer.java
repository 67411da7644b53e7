package dev.tandem.bench;

import dev.tandem.api.Engine;
import dev.tandem.server.ServerConfig;
import dev.tandem.server.TandemServer;
import java.nio.file.Path;
import java.time.Duration;

/** stories260K behind a loopback server with continuous batching (one lane, two threads), for the load tests. */
record BatchingServer(Engine engine, TandemServer server) implements AutoCloseable {
    static BatchingServer start(int maxActive, int maxQueued) throws Exception {
        Path model = Path.of(System.getProperty("tandem.shared", "../shared"), "models/stories260k/stories260K.bin");
        Engine engine = Engine.builder(model).threads(2).batching(true).batchLanes(1).build();
        try {
            return new BatchingServer(engine, TandemServer.start(engine,
                    ServerConfig.defaults().withPort(0).withLimits(maxActive, maxQueued, Duration.ofSeconds(60))));
        } catch (Exception e) {
            engine.close();
            throw e;
        }
    }

    @Override
    public void close() {
        server.close();
        engine.close();
    }
}
