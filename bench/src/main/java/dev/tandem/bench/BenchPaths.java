package dev.tandem.bench;

import java.nio.file.Path;

/** Where benchmarks find the shared test model when none is named. */
public final class BenchPaths {
    private BenchPaths() {}

    /** stories260K in ../shared beside the checkout ({@code tandem.home} is set by the launcher). */
    public static Path defaultModel() {
        String home = System.getProperty("tandem.home", ".");
        return Path.of(home).resolve("../shared/models/stories260k/stories260K.bin").normalize();
    }
}
