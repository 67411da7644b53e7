package dev.tandem.decoding;

import dev.tandem.core.cpu.CpuBackend;
import dev.tandem.models.Llama2cTokenizer;
import dev.tandem.models.Model;
import dev.tandem.models.ModelLoader;
import dev.tandem.models.Tokenizer;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * Tests that decode with stories260K and llama2.c's tokenizer on a two-thread CPU backend, loaded once per
 * test class (JUnit runs this class's {@code @BeforeAll} before a subclass's, and its {@code @AfterAll} after).
 */
public abstract class OnStories260k {
    /** The shared test data beside the checkout ({@code ../shared}, or the {@code tandem.shared} property). */
    protected static final Path SHARED = Path.of(System.getProperty("tandem.shared", "../shared"));
    protected static Model model;
    protected static Tokenizer tokenizer;
    protected static CpuBackend backend;

    @BeforeAll
    static void loadStories260k() {
        model = ModelLoader.load(SHARED.resolve("models/stories260k/stories260K.bin"));
        tokenizer = Llama2cTokenizer.load(SHARED.resolve("models/stories260k/tok512.bin"), 512);
        backend = new CpuBackend(2);
    }

    @AfterAll
    static void closeStories260k() {
        backend.close();
        model.close();
    }
}
