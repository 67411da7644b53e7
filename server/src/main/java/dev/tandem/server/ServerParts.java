package dev.tandem.server;

import dev.tandem.api.Engine;

/** What every route of one server shares: the engine, its settings, the admission queue and the metrics. */
record ServerParts(Engine engine, ServerConfig config, Admission admission, Metrics metrics) {}
