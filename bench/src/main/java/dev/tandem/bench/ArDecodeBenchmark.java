package dev.tandem.bench;

import dev.tandem.core.cpu.CpuBackend;
import dev.tandem.decoding.AutoregressiveGenerator;
import dev.tandem.decoding.GenerationRequest;
import dev.tandem.decoding.SamplingParams;
import dev.tandem.decoding.TokenStream;
import dev.tandem.models.Model;
import dev.tandem.models.ModelLoader;
import dev.tandem.models.Tokenizer;
import dev.tandem.models.Transformer;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.TearDown;

/**
 * Greedy autoregressive decoding of stories260K, 255 tokens from BOS per operation (llama2.c's
 * {@code run -n 256 -t 0}); the score is tokens per second. Several forks, since C2's Vector API code
 * can differ between JVM runs.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(3)
public class ArDecodeBenchmark extends BenchmarkDefaults {
    static final int TOKENS = 255;

    @Param({"1", "2"})
    public int threads;

    /** Empty: stories260K from ../shared beside the checkout. */
    @Param({""})
    public String model;

    private Model loaded;
    private CpuBackend backend;
    private AutoregressiveGenerator generator;
    private GenerationRequest request;

    @Setup(Level.Trial)
    public void setUp() {
        Path path = model.isEmpty() ? BenchPaths.defaultModel() : Path.of(model);
        loaded = ModelLoader.load(path);
        Tokenizer tokenizer = dev.tandem.models.tokenizer.Tokenizers.forModel(loaded, null);
        backend = new CpuBackend(threads);
        generator = new AutoregressiveGenerator(new Transformer(loaded, backend), tokenizer);
        request = new GenerationRequest(new int[] {tokenizer.bos()}, TOKENS, SamplingParams.GREEDY);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        backend.close();
        loaded.close();
    }

    @Benchmark
    @OperationsPerInvocation(TOKENS)
    public int decode() {
        return generator.generate(request, TokenStream.NONE).tokens().length;
    }
}
