package dev.tandem.bench;

import dev.tandem.cuda.CudaBackend;
import dev.tandem.models.Batch;
import dev.tandem.models.Model;
import dev.tandem.models.ModelLoader;
import dev.tandem.models.Transformer;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The host's share of a CUDA decode step: one token of stories260K through the CUDA backend on a device that runs
 * nothing ({@link NullDevice}), with CUDA graphs (each step recorded and relaunched as one graph) and op by op. The
 * score is microseconds per step that no GPU can take away: issue 16's target of 100 µs a token must hold them
 * and the GPU's own time together.
 */
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 8, time = 1) // the recording path reaches C2's code later than the plain one (19 -> 9 µs over 3 s)
public class CudaHostOverheadBenchmark extends BenchmarkDefaults {
    @Param({"true", "false"})
    public boolean graphs;

    /** Empty: stories260K from ../shared beside the checkout. */
    @Param({""})
    public String model;

    private Model loaded;
    private CudaBackend backend;
    private Transformer transformer;
    private final int[] token = {1};

    @Setup
    public void setUp() {
        loaded = ModelLoader.load(model.isEmpty() ? BenchPaths.defaultModel() : Path.of(model));
        backend = new CudaBackend(new NullDevice(), graphs);
        transformer = new Transformer(loaded, backend);
    }

    @TearDown
    public void tearDown() {
        backend.close();
        loaded.close();
    }

    /** One decode step: the pass over one row, its logits read back, the row committed to the KV cache. */
    @Benchmark
    public float step() {
        if (transformer.cache().length() + 1 >= loaded.config().contextLength()) {
            transformer.cache().reset();
        }
        float first = transformer.forward(Batch.chain(token)).logits(0)[0];
        transformer.cache().commitChain(1);
        return first;
    }
}
