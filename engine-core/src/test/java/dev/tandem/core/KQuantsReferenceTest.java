package dev.tandem.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Every block type Tandem reads, decoded against llama.cpp's own reference: gguf-py's {@code quants.dequantize}
 * (numpy), from the llama.cpp source that {@code bench/fixtures/llama-cpp-source.sh} fetches. Blocks are random
 * bytes with random finite scales, so every bit of every field is exercised. Skips, saying why, where the
 * source, python3 or numpy is absent.
 */
class KQuantsReferenceTest {
    private static final Path SOURCE = Path.of(System.getenv().getOrDefault("TANDEM_CACHE",
            System.getProperty("user.home") + "/.cache/tandem"), "llama.cpp");

    @TempDir
    Path dir;

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K", "IQ4_NL"})
    void decodesLikeLlamaCppsReference(DType type) throws Exception {
        assumeTrue(Files.exists(SOURCE.resolve("gguf-py/gguf/quants.py")),
                "llama.cpp source not fetched (run bench/fixtures/llama-cpp-source.sh)");
        assumeTrue(run("python3", "-c", "import numpy") == 0, "python3 with numpy is not installed");
        int blocks = 64;
        byte[] bytes = RandomBlocks.of(type, blocks, new SplittableRandom(type.ordinal()));
        Path in = dir.resolve("blocks.bin"), out = dir.resolve("values.f32");
        Files.write(in, bytes);
        String script = String.join("\n",
                "import sys, numpy as np",
                "sys.path.insert(0, sys.argv[1])",
                "from gguf import quants",
                "from gguf.constants import GGMLQuantizationType as T",
                "data = np.fromfile(sys.argv[2], dtype=np.uint8)",
                "quants.dequantize(data, T[sys.argv[3]]).astype('<f4').tofile(sys.argv[4])");
        assertEquals(0, run("python3", "-c", script, SOURCE.resolve("gguf-py").toString(), in.toString(), type.name(), out.toString()),
                "gguf-py dequantized " + type);
        ByteBuffer ref = ByteBuffer.wrap(Files.readAllBytes(out)).order(ByteOrder.LITTLE_ENDIAN);
        int n = blocks * type.blockSize();
        assertEquals(4L * n, ref.capacity(), "values from gguf-py");
        float[] ours = new float[n];
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment seg = arena.allocate(bytes.length);
            MemorySegment.copy(bytes, 0, seg, ValueLayout.JAVA_BYTE, 0, bytes.length);
            Quantization.decode(type, seg, 0, n, ours, 0);
        }
        for (int i = 0; i < n; i++) {
            float r = ref.getFloat(4 * i);
            assertEquals(Float.floatToIntBits(r), Float.floatToIntBits(ours[i]),
                    type + " value " + i + " (block " + i / type.blockSize() + "): llama.cpp " + r + ", ours " + ours[i]);
        }
    }

    @Test
    void readOnlyTypesAreRefusedForWritingByName() {
        assertEquals("q4_k can be read but not written yet (writable: f32, f16, q4_0, q8_0, bf16)",
                org.junit.jupiter.api.Assertions.assertThrows(TandemException.class, () -> DType.parseWritable("Q4_K")).getMessage());
        assertEquals(DType.Q8_0, DType.parseWritable("q8_0"));
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment seg = arena.allocate(144);
            TandemException e = org.junit.jupiter.api.Assertions.assertThrows(TandemException.class,
                    () -> Quantization.encode(DType.Q4_K, new float[256], 0, 256, seg, 0));
            assertEquals("writing Q4_K is not supported (writable: f32, f16, q4_0, q8_0, bf16)", e.getMessage());
        }
    }

    private static int run(String... cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            return -1;
        }
        return p.exitValue();
    }
}
