package dev.tandem.bench;

import dev.tandem.core.cpu.WorkerPool;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.TearDown;

/**
 * This machine's memory bandwidth, measured the way the matmul benchmark reads weights: a STREAM-style
 * triad (a = b + s * c; 3 arrays of bytes moved) and a plain read (1 array), over off-heap memory far larger
 * than any cache, split over the same number of threads as the matmuls.
 */
public class MemoryBandwidthBenchmark extends BandwidthBenchmark {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);


    private Arena arena;
    private WorkerPool pool;
    private MemorySegment a;
    private MemorySegment b;
    private MemorySegment c;

    @Setup(Level.Trial)
    public void setUp() {
        arena = Arena.ofShared();
        pool = new WorkerPool(threads);
        long bytes = (long) mib << 20;
        a = arena.allocate(bytes, 64);
        b = arena.allocate(bytes, 64);
        c = arena.allocate(bytes, 64);
        b.fill((byte) 0x3F);
        c.fill((byte) 0x3E);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        pool.close();
        arena.close();
    }

    /** STREAM triad a = b + s * c over three arrays of {@code mib}, split over the same number of threads. */
    @Benchmark
    public MemorySegment triad() {
        long floats = a.byteSize() / 4;
        int chunks = 4096;
        long per = floats / chunks;
        pool.parallelFor(chunks, 1, (c0, c1) -> {
            for (long i = c0 * per * 4, end = c1 * per * 4; i < end; i += F.vectorByteSize()) {
                FloatVector.fromMemorySegment(F, b, i, ByteOrder.LITTLE_ENDIAN)
                        .add(FloatVector.fromMemorySegment(F, c, i, ByteOrder.LITTLE_ENDIAN).mul(3f))
                        .intoMemorySegment(a, i, ByteOrder.LITTLE_ENDIAN);
            }
        });
        return a;
    }

    /**
     * Reads one array of {@code mib} (a sum) the way the matmul kernels read weights: each thread reads four
     * interleaved sequential streams (one stream per thread reaches about 3/4 of this on the dev machine).
     */
    @Benchmark
    public float read() {
        int chunks = 4096;
        long per = b.byteSize() / chunks;
        float[] partial = new float[chunks];
        int vb = F.vectorByteSize();
        pool.parallelFor(chunks, 1, (c0, c1) -> {
            long quarter = (c1 - c0) * per / 4;
            long start = c0 * per;
            FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
            for (long off = 0; off < quarter; off += vb) {
                a0 = a0.add(FloatVector.fromMemorySegment(F, b, start + off, ByteOrder.LITTLE_ENDIAN));
                a1 = a1.add(FloatVector.fromMemorySegment(F, b, start + quarter + off, ByteOrder.LITTLE_ENDIAN));
                a2 = a2.add(FloatVector.fromMemorySegment(F, b, start + 2 * quarter + off, ByteOrder.LITTLE_ENDIAN));
                a3 = a3.add(FloatVector.fromMemorySegment(F, b, start + 3 * quarter + off, ByteOrder.LITTLE_ENDIAN));
            }
            partial[c0] = a0.add(a1).add(a2).add(a3).reduceLanes(jdk.incubator.vector.VectorOperators.ADD);
        });
        float s = 0;
        for (float p : partial) {
            s += p;
        }
        return s + a.get(F32, 0);
    }
}
