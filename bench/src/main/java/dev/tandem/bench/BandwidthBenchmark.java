package dev.tandem.bench;

import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What the matmul and triad benchmarks share so that their bytes per second can be divided: the size of
 * what is streamed (far larger than any cache) and the threads that stream it.
 */
@Warmup(iterations = 4, time = 2)
@Measurement(iterations = 6, time = 2)
public abstract class BandwidthBenchmark extends BenchmarkDefaults {
    /** Bytes of the weights (matmul) or of each array (triad), in MiB. */
    @Param({"2048"})
    public int mib;

    @Param({"2"})
    public int threads;
}
