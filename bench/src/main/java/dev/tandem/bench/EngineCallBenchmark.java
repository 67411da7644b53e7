package dev.tandem.bench;

import dev.tandem.api.Engine;
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
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.TearDown;

/**
 * What a call through the embedding API ({@link Engine#generate}) costs beyond the work itself: each
 * operation generates {@code tokens} greedy tokens after a one-token prompt on stories260K (1 thread),
 * either through the engine (request checks, a transformer from the engine's pool, the method registry,
 * stop handling, totals) or straight on one reused {@link Transformer} with the generator the engine
 * would pick. The difference of the two scores is the per-call overhead. Run:
 * {@code ./tandem jmh EngineCallBenchmark}.
 */
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(2)
public class EngineCallBenchmark extends BenchmarkDefaults {
    @Param({"1", "16"})
    public int tokens;

    /** Empty: stories260K from ../shared beside the checkout. */
    @Param({""})
    public String model;

    private Engine engine;
    private Model loaded;
    private CpuBackend backend;
    private Tokenizer tokenizer;
    private GenerationRequest request;
    private Transformer transformer;
    private AutoregressiveGenerator generator;

    @Setup(Level.Trial)
    public void setUp() {
        Path path = model.isEmpty() ? BenchPaths.defaultModel() : Path.of(model);
        engine = Engine.builder(path).threads(1).batching(false).build();
        loaded = ModelLoader.load(path);
        tokenizer = dev.tandem.models.tokenizer.Tokenizers.forModel(loaded, null);
        backend = new CpuBackend(1);
        request = new GenerationRequest(new int[] {tokenizer.bos()}, tokens, SamplingParams.GREEDY);
        transformer = new Transformer(loaded, backend);
        generator = new AutoregressiveGenerator(transformer, tokenizer);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        engine.close();
        backend.close();
        loaded.close();
    }

    /** Through the embedding API. */
    @Benchmark
    public int engine() {
        return engine.generate(request, "ar", TokenStream.NONE).tokens().length;
    }

    /** The same generation straight on one reused transformer (its cache emptied first), without the engine. */
    @Benchmark
    public int direct() {
        transformer.cache().truncate(0);
        return generator.generate(request, TokenStream.NONE).tokens().length;
    }
}
