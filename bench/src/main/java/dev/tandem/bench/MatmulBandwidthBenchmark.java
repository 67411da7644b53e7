package dev.tandem.bench;

import dev.tandem.core.DType;
import dev.tandem.core.Quantization;
import dev.tandem.core.Tensor;
import dev.tandem.core.cpu.CpuBackend;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.TearDown;

/**
 * Matrix-vector products over weight matrices far larger than any cache, one per weight type. Run with
 * {@link MemoryBandwidthBenchmark} on the same threads: the matmul's bytes per second divided by the
 * triad's is the fraction of this machine's bandwidth the kernel reaches.
 * {@code ./tandem bench matmul} runs it and prints GB/s (JMH's ms/op turned into bytes per second).
 */
public class MatmulBandwidthBenchmark extends BandwidthBenchmark {
    @Param({"F32", "F16", "BF16", "Q8_0", "Q4_0"})
    public String dtype;

    /**
     * Columns of the matrix, the width of the activations: a kernel's time per byte depends on it (the activations it
     * keeps in L1, the length of a row's pass), so a model is best measured at its own widths (TinyLlama-1.1B: 2048,
     * and 5632 for the feed-forward down projection).
     */
    @Param({"4096"})
    public int cols;


    /** Batch rows multiplied with each weight (1: decoding; more: verification). */
    @Param({"1"})
    public int rows;

    private Arena arena;
    private CpuBackend backend;
    private Tensor weights;
    private Tensor x;
    private Tensor out;

    /** Rows of a {@code cols}-wide matrix of {@code type} that fill {@code mib}. */
    static int matrixRows(DType type, int mib, int cols) {
        return (int) (((long) mib << 20) / type.byteSize(cols));
    }

    @Setup(Level.Trial)
    public void setUp() {
        DType type = DType.parse(dtype);
        arena = Arena.ofShared();
        backend = new CpuBackend(threads);
        int d = matrixRows(type, mib, cols);
        weights = Tensor.of(tiledRandomWeights(arena, type, d, cols), type, d, cols);
        SplittableRandom rnd = new SplittableRandom(1);
        float[] xs = new float[rows * cols];
        for (int i = 0; i < xs.length; i++) {
            xs[i] = (float) rnd.nextGaussian();
        }
        x = Tensor.wrap(xs, rows, cols);
        out = backend.allocate(rows, d);
    }

    /** Realistic encoded weights (gaussian, std 0.02) without encoding gigabytes: a 4 MiB pattern, repeated. */
    static MemorySegment tiledRandomWeights(Arena arena, DType type, int d, int cols) {
        long rowBytes = type.byteSize(cols);
        int patternRows = (int) Math.min(d, (4L << 20) / rowBytes);
        SplittableRandom rnd = new SplittableRandom(42);
        float[] values = new float[cols];
        MemorySegment seg = arena.allocate(rowBytes * d, 64);
        for (int j = 0; j < patternRows; j++) {
            for (int i = 0; i < cols; i++) {
                values[i] = (float) (rnd.nextGaussian() * 0.02);
            }
            Quantization.encode(type, values, 0, cols, seg, j * rowBytes);
        }
        long pattern = patternRows * rowBytes;
        for (long off = pattern; off < rowBytes * d; off += pattern) {
            MemorySegment.copy(seg, 0, seg, off, Math.min(pattern, rowBytes * d - off));
        }
        return seg;
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        backend.close();
        arena.close();
    }

    @Benchmark
    public Tensor matmul() {
        backend.matmul(out, x, weights, rows);
        return out;
    }
}
