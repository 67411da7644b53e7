package dev.tandem.models.gguf;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.tandem.core.DType;
import dev.tandem.core.TandemException;
import dev.tandem.models.LlamaConfig;
import dev.tandem.models.Llama2cWriter;
import dev.tandem.models.Model;
import dev.tandem.models.ModelLoader;
import dev.tandem.models.convert.GgufExport;
import java.io.ByteArrayOutputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Truncated, bit-flipped and hostile GGUF files are refused with a TandemException: never another exception
 * (out-of-bounds, negative sizes, out of memory), never a read outside the mapping.
 */
class GgufRobustnessTest {
    @TempDir
    static Path dir;
    private static byte[] valid;

    @BeforeAll
    static void writeSmallModel() throws Exception {
        valid = tinyGguf(dir, DType.Q8_0);
    }

    /** A random 2-layer model (dim 32, vocabulary 40, context 16) with a 3-token tokenizer, as GGUF bytes. */
    static byte[] tinyGguf(Path dir, DType dtype) throws Exception {
        Path bin = dir.resolve("tiny.bin");
        Llama2cWriter.writeRandom(bin, new LlamaConfig(32, 64, 2, 4, 2, 40, 16, 1e-5f, 10000f, false), 1, 0.1f);
        Path gguf = dir.resolve("tiny-" + dtype + ".gguf");
        try (Model m = ModelLoader.load(bin)) {
            GgufExport.write(m, Map.of("tokenizer.ggml.model", "llama", "tokenizer.ggml.tokens", List.of("a", "b", "c"),
                    "tokenizer.ggml.scores", List.of(0f, 1f, 2f)), dtype, gguf, b -> { });
        }
        return Files.readAllBytes(gguf);
    }

    private static MemorySegment segment(Arena arena, byte[] image) {
        MemorySegment seg = arena.allocate(Math.max(1, image.length));
        MemorySegment.copy(image, 0, seg, ValueLayout.JAVA_BYTE, 0, image.length);
        return seg.asSlice(0, image.length);
    }

    /** Parses and builds a model from the image; success or TandemException are the only allowed outcomes. */
    private static boolean load(byte[] image) {
        try (Arena arena = Arena.ofConfined()) {
            GgufModel.build(GgufReader.parse(Path.of("fuzz.gguf"), segment(arena, image)), arena);
            return true;
        } catch (TandemException e) {
            assertTrue(e.getMessage() != null && !e.getMessage().isBlank());
            return false;
        } catch (Throwable t) {
            fail("not a clear refusal: " + t, t);
            return false;
        }
    }

    @Test
    void validImageLoads() {
        assertTrue(load(valid));
    }

    @Test
    void everyTruncationIsRefused() {
        SplittableRandom rnd = new SplittableRandom(5);
        for (int i = 0; i < 400; i++) {
            int cut = i < 200 ? i * 7 % valid.length : rnd.nextInt(valid.length);
            assertTrue(!load(java.util.Arrays.copyOf(valid, cut)), "a file cut at " + cut + " of " + valid.length + " bytes must be refused");
        }
    }

    @Test
    void bitFlipsAreRefusedOrHarmless() {
        SplittableRandom rnd = new SplittableRandom(6);
        int header = 2048; // the metadata and tensor directory of this file
        for (int i = 0; i < 3000; i++) {
            byte[] f = valid.clone();
            int at = i % 3 == 0 ? rnd.nextInt(f.length) : rnd.nextInt(Math.min(header, f.length));
            f[at] ^= (byte) (1 << rnd.nextInt(8));
            load(f);
        }
    }

    /** A GGUF image built field by field, for hostile values. */
    private static final class Image {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();

        Image u32(long v) {
            out.writeBytes(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt((int) v).array());
            return this;
        }

        Image u64(long v) {
            out.writeBytes(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(v).array());
            return this;
        }

        Image str(String s) {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            u64(b.length);
            out.writeBytes(b);
            return this;
        }

        Image head(long tensors, long kvs) {
            return u32(0x46554747).u32(3).u64(tensors).u64(kvs);
        }

        Image tensor(String name, long cols, long rows, int type, long offset) {
            return str(name).u32(2).u64(cols).u64(rows).u32(type).u64(offset);
        }

        Image pad(int to) {
            while (out.size() % to != 0) {
                out.write(0);
            }
            return this;
        }

        Image data(int bytes) {
            out.writeBytes(new byte[bytes]);
            return this;
        }

        byte[] bytes() {
            return out.toByteArray();
        }
    }

    private static void refused(byte[] image, String expected) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment seg = segment(arena, image);
            TandemException e = assertThrows(TandemException.class, () -> GgufReader.parse(Path.of("hostile.gguf"), seg));
            assertTrue(e.getMessage().contains(expected), "'" + e.getMessage() + "' should mention '" + expected + "'");
        }
    }

    @Test
    void hostileFilesAreRefusedWithoutHugeAllocations() {
        refused(new Image().head(Long.MAX_VALUE, 0).bytes(), "tensors");
        refused(new Image().head(0, -1L).bytes(), "metadata entries");
        refused(new Image().head(0, 1).str("k").u32(8).u64(1L << 62).bytes(), "claims");
        refused(new Image().head(0, 1).str("k").u32(9).u32(4).u64(1L << 40).bytes(), "more than the file holds");
        refused(new Image().head(0, 1).str("k").u32(9).u32(9).u64(1).u32(4).u64(1).bytes(), "nests arrays");
        refused(new Image().head(0, 1).str("k").u32(77).bytes(), "unknown value type");
        refused(new Image().head(1, 0).tensor("t", 32, 2, 99, 0).pad(32).data(256).bytes(), "unknown GGML type id 99");
        refused(new Image().head(1, 0).str("t").u32(5).bytes(), "dimensions");
        refused(new Image().head(1, 0).tensor("t", 32, 1L << 41, 0, 0).bytes(), "dimension");
        refused(new Image().head(1, 0).tensor("t", 32, 2, 0, 1L << 40).pad(32).data(256).bytes(), "runs past the end");
        refused(new Image().head(1, 0).tensor("t", 32, 2, 0, 0).pad(32).data(100).bytes(), "runs past the end");
        refused(new Image().head(2, 0).tensor("a", 32, 2, 0, 0).tensor("b", 32, 2, 0, 128).pad(32).data(512).bytes(), "overlapping");
        refused(new Image().head(1, 0).tensor("a", 32, 2, 0, 8).pad(32).data(512).bytes(), "alignment");
        refused(new Image().head(1, 0).tensor("q", 33, 2, 8, 0).pad(32).data(512).bytes(), "blocks");
        refused(new Image().head(0, 1).str("general.alignment").u32(4).u32(3).bytes(), "general.alignment");
        refused(new Image().u32(0x46554747).u32(0x03000000).u64(0).u64(0).bytes(), "big-endian");
        refused(new Image().u32(0x46554747).u32(1).u64(0).u64(0).bytes(), "version 1");
    }
}
