package dev.tandem.models.gguf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tandem.core.DType;
import dev.tandem.core.TandemException;
import dev.tandem.core.cpu.CpuBackend;
import dev.tandem.models.MemoryBudgetAccess;
import dev.tandem.models.Model;
import dev.tandem.models.ModelLoader;
import dev.tandem.models.Transformer;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Header values that would make the loader allocate without bound (layers, context) and file content that
 * would print raw bytes: refused in one clear line naming the field, its value and the limit.
 */
class HostileHeaderTest {
    @TempDir
    static Path dir;
    private static byte[] valid;

    @BeforeAll
    static void writeSmallModel() throws Exception {
        valid = GgufRobustnessTest.tinyGguf(dir, DType.F32);
    }

    /** The image with the 32-bit metadata value of {@code key} replaced. */
    static byte[] withValue(byte[] image, String key, int value) {
        byte[] k = key.getBytes(StandardCharsets.US_ASCII);
        for (int i = 8; i + k.length + 8 < image.length; i++) {
            if (ByteBuffer.wrap(image, i - 8, 8).order(ByteOrder.LITTLE_ENDIAN).getLong() == k.length
                    && java.util.Arrays.equals(image, i, i + k.length, k, 0, k.length)) {
                byte[] out = image.clone();
                ByteBuffer.wrap(out, i + k.length + 4, 4).order(ByteOrder.LITTLE_ENDIAN).putInt(value);
                return out;
            }
        }
        throw new IllegalArgumentException("no key " + key);
    }

    private static Path file(String name, byte[] image) throws Exception {
        Path p = dir.resolve(name);
        Files.write(p, image);
        return p;
    }

    @Test
    void layerCountsBeyondTheTensorsAreRefusedBeforeAllocating() throws Exception {
        for (int layers : new int[] {Integer.MAX_VALUE, 1 << 30, 3}) {
            Path p = file("layers.gguf", withValue(valid, "llama.block_count", layers));
            TandemException e = assertThrows(TandemException.class, () -> ModelLoader.load(p));
            assertTrue(e.getMessage().contains("llama.block_count = " + layers) && e.getMessage().contains(p.toString()), e.getMessage());
        }
    }

    @Test
    void aContextTooLargeForMemoryIsRefusedNamingTheFieldAndCtxSizeCapsIt() throws Exception {
        Path huge = file("ctx.gguf", withValue(valid, "llama.context_length", Integer.MAX_VALUE));
        try (Model m = ModelLoader.load(huge); CpuBackend b = new CpuBackend(1)) {
            TandemException e = assertThrows(TandemException.class, () -> new Transformer(m, b));
            assertTrue(e.getMessage().contains("context_length " + Integer.MAX_VALUE) && e.getMessage().contains("--ctx-size"), e.getMessage());
        }
        Path big = file("ctx25.gguf", withValue(valid, "llama.context_length", 1 << 25));
        try (Model m = ModelLoader.load(big)) {
            TandemException e = assertThrows(TandemException.class, () -> MemoryBudgetAccess.require(m, 1L << 30));
            assertTrue(e.getMessage().contains("context_length " + (1 << 25)) && e.getMessage().contains("heap left")
                    && e.getMessage().contains("--ctx-size"), e.getMessage());
        }
        try (Model m = ModelLoader.load(big, 64); CpuBackend b = new CpuBackend(1)) {
            assertEquals(64, m.config().contextLength());
            assertEquals(64, new Transformer(m, b).cache().contextLength());
        }
        TandemException e = assertThrows(TandemException.class, () -> ModelLoader.load(huge, 1));
        assertTrue(e.getMessage().contains("--ctx-size 1"), e.getMessage());
    }

    @Test
    void fileContentInMessagesIsEscapedAndCapped() throws Exception {
        byte[] f = valid.clone();
        byte[] k = "general.architecture".getBytes(StandardCharsets.US_ASCII);
        for (int i = 0; i + k.length < f.length; i++) {
            if (java.util.Arrays.equals(f, i, i + k.length, k, 0, k.length)) {
                ByteBuffer.wrap(f, i - 8, 8).order(ByteOrder.LITTLE_ENDIAN).putLong(300); // the key swallows what follows
                break;
            }
        }
        Path p = file("flipped.gguf", f);
        TandemException e = assertThrows(TandemException.class, () -> ModelLoader.load(p));
        assertFalse(e.getMessage().chars().anyMatch(c -> c < 0x20), "no control characters: " + e.getMessage());
        assertTrue(e.getMessage().length() < 600, e.getMessage());
    }

    @Test
    void emptyAndForeignFilesAreNamedForWhatTheyAre() throws Exception {
        Path empty = file("empty.bin", new byte[0]);
        assertTrue(assertThrows(TandemException.class, () -> ModelLoader.load(empty)).getMessage().contains("is empty"));
        Path zip = file("model.pt", "PK\u0003\u0004rest of a zip archive, long enough".getBytes(StandardCharsets.ISO_8859_1));
        String z = assertThrows(TandemException.class, () -> ModelLoader.load(zip)).getMessage();
        assertTrue(z.contains("zip archive") && z.contains(zip.toString()), z);
        Path json = file("config.bin", "{\"dim\": 288, \"n_layers\": 6, \"padding\": \"....\"}".getBytes(StandardCharsets.US_ASCII));
        assertTrue(assertThrows(TandemException.class, () -> ModelLoader.load(json)).getMessage().contains("a JSON file"));
        Path noise = file("noise.bin", "0123456789abcdefghijklmnopqrstuvwxyz0123456789".getBytes(StandardCharsets.US_ASCII));
        String n = assertThrows(TandemException.class, () -> ModelLoader.load(noise)).getMessage();
        assertTrue(n.contains("no GGUF magic") && n.contains("llama2.c") && n.contains(noise.toString()), n);
    }
}
