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

    /**
     * Every block type Tandem writes loses no more than its bits allow: Gaussian weights (with a few outliers, as
     * real matrices have) encoded and decoded again, relative RMS error under a bound per type. (Byte equality
     * with llama-quantize is LlamaCppFilesTest's, where llama.cpp is built.)
     */
    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"Q8_0", "Q6_K", "Q5_K", "Q5_0", "Q5_1", "Q4_K", "Q4_1", "Q4_0", "IQ4_NL", "Q3_K", "Q2_K"})
    void encodedValuesDecodeCloseToTheInput(DType type) {
        java.util.Map<DType, Double> bound = java.util.Map.ofEntries(java.util.Map.entry(DType.Q8_0, 0.008),
                java.util.Map.entry(DType.Q6_K, 0.025), java.util.Map.entry(DType.Q5_K, 0.05), java.util.Map.entry(DType.Q5_1, 0.052),
                java.util.Map.entry(DType.Q5_0, 0.064), java.util.Map.entry(DType.Q4_K, 0.1), java.util.Map.entry(DType.Q4_1, 0.107),
                java.util.Map.entry(DType.Q4_0, 0.13), java.util.Map.entry(DType.IQ4_NL, 0.108), java.util.Map.entry(DType.Q3_K, 0.212),
                java.util.Map.entry(DType.Q2_K, 0.388)); // measured x 1.25
        SplittableRandom rnd = new SplittableRandom(3);
        int n = 64 * 256;
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) (rnd.nextGaussian() * (rnd.nextInt(100) == 0 ? 4 : 1) * 0.02);
        }
        float[] back = new float[n];
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment seg = arena.allocate(type.byteSize(n));
            Quantization.encode(type, x, 0, n, seg, 0);
            Quantization.decode(type, seg, 0, n, back, 0);
        }
        double err = 0, sum = 0;
        for (int i = 0; i < n; i++) {
            err += (back[i] - x[i]) * (double) (back[i] - x[i]);
            sum += x[i] * (double) x[i];
        }
        double relative = Math.sqrt(err / sum);
        org.junit.jupiter.api.Assertions.assertTrue(relative < bound.get(type), type + ": relative RMS error " + relative);
        org.junit.jupiter.api.Assertions.assertTrue(relative > 0, type + " is lossy");
    }

    @Test
    void everyTypeIsWritableByNameAndUnknownNamesAreRefused() {
        for (DType t : DType.values()) {
            assertEquals(t, DType.parseWritable(t.name().toLowerCase(java.util.Locale.ROOT)));
        }
        TandemException e = org.junit.jupiter.api.Assertions.assertThrows(TandemException.class, () -> DType.parseWritable("iq2_xxs"));
        org.junit.jupiter.api.Assertions.assertTrue(e.getMessage().contains("iq2_xxs") && e.getMessage().contains("q2_k"), e.getMessage());
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
