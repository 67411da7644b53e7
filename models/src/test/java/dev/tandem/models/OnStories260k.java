package dev.tandem.models;

import dev.tandem.core.cpu.CpuBackend;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** Tests that run stories260K on a two-thread CPU backend, loaded once per test class. */
abstract class OnStories260k {
    static Model model;
    static CpuBackend backend;

    @BeforeAll
    static void loadStories260k() {
        model = ModelLoader.load(Shared.model());
        backend = new CpuBackend(2);
    }

    @AfterAll
    static void closeStories260k() {
        backend.close();
        model.close();
    }
}
