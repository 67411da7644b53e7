package dev.tandem.models;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tandem.core.TandemException;
import dev.tandem.core.cpu.CpuBackend;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CheckpointTest {
    /**
     * The separate-classifier layout: stories260K rewritten with a negative vocab_size and the embedding
     * appended as its own classifier must give the same logits as the shared original.
     */
    @Test
    void separateClassifierLoadsAndIsUsed(@TempDir Path dir) throws IOException {
        byte[] original = Files.readAllBytes(Shared.model());
        byte[] embedding = Arrays.copyOfRange(original, 28, 28 + 512 * 64 * 4);
        byte[] separate = Arrays.copyOf(original, original.length + embedding.length);
        System.arraycopy(embedding, 0, separate, original.length, embedding.length);
        ByteBuffer.wrap(separate).order(ByteOrder.LITTLE_ENDIAN).putInt(20, -512);
        Path file = dir.resolve("separate.bin");
        Files.write(file, separate);

        try (Model shared = ModelLoader.load(Shared.model()); Model split = ModelLoader.load(file); CpuBackend cpu = new CpuBackend(1)) {
            assertTrue(shared.config().sharedClassifier());
            assertFalse(split.config().sharedClassifier());
            int[] tokens = {1, 403, 407, 260};
            ForwardResult a = new Transformer(shared, cpu).forward(Batch.chain(tokens));
            float[][] expected = new float[tokens.length][];
            for (int i = 0; i < tokens.length; i++) {
                expected[i] = a.logits(i);
            }
            ForwardResult b = new Transformer(split, cpu).forward(Batch.chain(tokens));
            for (int i = 0; i < tokens.length; i++) {
                assertArrayEquals(expected[i], b.logits(i), 0f);
            }
        }
    }

    @Test
    void commitRejectsRowsThatAreNotAPath() {
        try (Model m = ModelLoader.load(Shared.model()); CpuBackend cpu = new CpuBackend(1)) {
            Transformer t = new Transformer(m, cpu);
            assertThrows(IllegalStateException.class, () -> t.cache().commit(0));
            t.forward(Batch.tree(new int[] {1, 5, 6, 7}, new int[] {-1, 0, 0, 1}));
            assertThrows(IllegalArgumentException.class, () -> t.cache().commit(1));
            assertThrows(IllegalArgumentException.class, () -> t.cache().commit(0, 2, 3));
            t.cache().commit(0, 1, 3);
            assertTrue(t.cache().length() == 3);
        }
    }

    @Test
    void batchPastTheContextIsRefused() {
        try (Model m = ModelLoader.load(Shared.model()); CpuBackend cpu = new CpuBackend(1)) {
            Transformer t = new Transformer(m, cpu, 64);
            int[] chunk = new int[64];
            Arrays.fill(chunk, 5);
            for (int i = 0; i < 8; i++) {
                t.forward(Batch.chain(chunk));
                t.cache().commit(TreeForwardPropertyTest.chain(64));
            }
            TandemException e = assertThrows(TandemException.class, () -> t.forward(Batch.chain(chunk)));
            assertTrue(e.getMessage().contains("context"), e.getMessage());
            assertThrows(TandemException.class, () -> t.forward(Batch.chain(new int[65])));
        }
    }
}
