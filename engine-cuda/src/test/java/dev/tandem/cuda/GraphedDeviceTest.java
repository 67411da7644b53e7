package dev.tandem.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tandem.core.cpu.CpuBackend;
import dev.tandem.cuda.CudaDevice.Dim3;
import dev.tandem.decoding.AutoregressiveGenerator;
import dev.tandem.decoding.GenerationRequest;
import dev.tandem.decoding.MethodOptions;
import dev.tandem.decoding.Methods;
import dev.tandem.decoding.SamplingParams;
import dev.tandem.decoding.TokenStream;
import dev.tandem.models.Llama2cTokenizer;
import dev.tandem.models.Model;
import dev.tandem.models.ModelLoader;
import dev.tandem.models.Tokenizer;
import dev.tandem.models.Transformer;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The CUDA graphs' step logic on the emulated device, which follows CUDA's capture rules: segments run as one
 * graph per shape, relaunched or updated, reading the step buffer's inputs when they run; and decoding on
 * graphs gives the tokens of decoding op by op.
 */
class GraphedDeviceTest {
    @BeforeEach
    void emulation() {
        EmulationAvailable.assume();
    }

    /** x += y over n floats, recorded as upload, upload, launch, download: one segment of four ops. */
    private static float[] add(CudaDevice d, long x, long y, float[] xs, float[] ys, int threads) {
        int n = xs.length;
        d.upload(x, MemorySegment.ofArray(xs), 4L * n);
        d.upload(y, MemorySegment.ofArray(ys), 4L * n);
        d.launch("add_f32", Dim3.of(1), Dim3.of(threads), 0, KernelArgs.of().ptr(x).ptr(y).i32(n));
        float[] out = new float[n];
        d.download(MemorySegment.ofArray(out), x, 4L * n);
        return out;
    }

    @Test
    void aSegmentIsOneGraphPerShapeRelaunchedUpdatedOrInstantiated() {
        EmulatedDevice emu = EmulatedDevice.open();
        int before = emu.liveGraphs();
        GraphedDevice d = new GraphedDevice(emu);
        long x = d.alloc(64), y = d.alloc(64);
        assertArrayEquals(new float[] {11, 22, 33}, add(d, x, y, new float[] {1, 2, 3}, new float[] {10, 20, 30}, 32));
        assertEquals(new GraphedDevice.Stats(1, 4, 0, 1, 0, 0, null), d.stats());
        // same ops, new inputs: the graph runs as it is and reads the step buffer when it runs
        assertArrayEquals(new float[] {5, 5, 5}, add(d, x, y, new float[] {4, 3, 2}, new float[] {1, 2, 3}, 32));
        assertEquals(new GraphedDevice.Stats(2, 8, 0, 1, 0, 1, null), d.stats());
        // an argument changes (y's address): captured again and handed to the same graph
        long y2 = d.alloc(64);
        assertArrayEquals(new float[] {2, 2, 2}, add(d, x, y2, new float[] {1, 1, 1}, new float[] {1, 1, 1}, 32));
        assertEquals(new GraphedDevice.Stats(3, 12, 0, 1, 1, 1, null), d.stats());
        // another launch shape is another graph
        assertArrayEquals(new float[] {3, 3, 3}, add(d, x, y2, new float[] {1, 1, 1}, new float[] {2, 2, 2}, 64));
        assertEquals(new GraphedDevice.Stats(4, 16, 0, 2, 1, 1, null), d.stats());
        // a segment of one op runs directly
        d.memset(x, 0, 12);
        d.synchronize();
        assertEquals(new GraphedDevice.Stats(5, 17, 1, 2, 1, 1, null), d.stats());
        float[] zero = new float[3];
        d.download(MemorySegment.ofArray(zero), x, 12);
        assertArrayEquals(new float[3], zero);
        d.free(x);
        d.free(y);
        d.free(y2);
        d.close();
        assertEquals(before, emu.liveGraphs(), "every graph and executable graph destroyed");
    }

    /** The emulated device, except that {@code refused} throws as a driver without it would; counts its waits. */
    private static CudaDevice refusing(EmulatedDevice emu, String refused, int[] waits) {
        return (CudaDevice) java.lang.reflect.Proxy.newProxyInstance(CudaDevice.class.getClassLoader(), new Class<?>[] {CudaDevice.class},
                (proxy, method, args) -> {
                    if (method.getName().equals("synchronize") || method.getName().equals("download")) {
                        waits[0]++;
                    }
                    if (method.getName().equals(refused)) {
                        throw new dev.tandem.core.TandemException("this CUDA driver has no " + refused);
                    }
                    try {
                        return method.invoke(emu, args);
                    } catch (java.lang.reflect.InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
    }

    @Test
    void aRefusedGraphOrPageLockedCallTurnsGraphsOffAndEveryOpStillRuns() {
        for (String refused : new String[] {"beginCapture", "instantiate", "allocHost"}) {
            EmulatedDevice emu = EmulatedDevice.open();
            int[] waits = {0};
            GraphedDevice d = new GraphedDevice(refusing(emu, refused, waits));
            long x = d.alloc(64), y = d.alloc(64);
            for (int i = 0; i < 3; i++) {
                int before = waits[0];
                assertArrayEquals(new float[] {11, 22, 33 + i}, add(d, x, y, new float[] {1, 2, 3}, new float[] {10, 20, 30 + i}, 32), refused);
                if (i == 2) { // graphs off: the ops go straight to the device, and only the read-back waits (twice at most)
                    assertTrue(waits[0] - before <= 2, refused + ": " + (waits[0] - before) + " waits for one segment");
                }
            }
            GraphedDevice.Stats s = d.stats();
            assertEquals("this CUDA driver has no " + refused, s.fallback(), s.toString());
            assertEquals(0, s.graphLaunches(), s.toString());
            d.free(x);
            d.free(y);
            d.close();
            assertEquals(0, emu.liveGraphs(), refused + ": nothing left behind");
        }
    }

    @Test
    void theEmulationRefusesWhatCudaRefusesWhileCapturing() {
        EmulatedDevice d = EmulatedDevice.open();
        long a = d.alloc(16);
        MemorySegment pinned = d.allocHost(16);
        d.beginCapture();
        assertThrows(IllegalStateException.class, () -> d.upload(a, MemorySegment.ofArray(new float[4]), 16), "pageable source");
        assertThrows(IllegalStateException.class, () -> d.download(MemorySegment.ofArray(new float[4]), a, 16));
        assertThrows(IllegalStateException.class, d::synchronize);
        d.upload(a, pinned, 16);
        long one = d.endCapture();
        d.beginCapture();
        d.upload(a, pinned, 16);
        d.memset(a, 0, 16);
        long two = d.endCapture();
        long exec = d.instantiate(one);
        assertFalse(d.update(exec, two), "another shape cannot update a graph");
        pinned.fill((byte) 0x3f);
        d.launchGraph(exec);
        float[] out = new float[4];
        d.download(MemorySegment.ofArray(out), a, 16);
        assertEquals(Float.intBitsToFloat(0x3f3f3f3f), out[0], "the upload read the page-locked source at launch");
        assertThrows(IllegalArgumentException.class, () -> d.downloadAsync(MemorySegment.ofArray(out), a, 16));
        d.destroyExec(exec);
        d.destroyGraph(one);
        d.destroyGraph(two);
        d.freeHost(pinned);
        d.free(a);
    }

    @Test
    void decodingOnGraphsGivesTheTokensOfDecodingOpByOp() {
        Path shared = Path.of(System.getProperty("tandem.shared", "../shared"));
        try (Model model = ModelLoader.load(shared.resolve("models/stories260k/stories260K.bin"));
             CpuBackend cpu = new CpuBackend(1, CpuBackend.Activations.FLOAT);
             CudaBackend graphs = new CudaBackend(EmulatedDevice.open(), true);
             CudaBackend plain = new CudaBackend(EmulatedDevice.open(), false)) {
            Tokenizer tok = Llama2cTokenizer.load(shared.resolve("models/stories260k/tok512.bin"), 512);
            int newTokens = 24;
            GenerationRequest req = new GenerationRequest(tok.encode("Once upon a time, there was a", true, false), newTokens,
                    SamplingParams.GREEDY);
            int[] expected = new AutoregressiveGenerator(new Transformer(model, cpu), tok).generate(req, TokenStream.NONE).tokens();
            assertArrayEquals(expected, new AutoregressiveGenerator(new Transformer(model, plain), tok).generate(req, TokenStream.NONE).tokens());
            assertNull(plain.graphStats());

            var ar = new AutoregressiveGenerator(new Transformer(model, graphs), tok);
            assertArrayEquals(expected, ar.generate(req, TokenStream.NONE).tokens()); // first use: weights uploaded, shapes met
            GraphedDevice.Stats warm = graphs.graphStats();
            assertArrayEquals(expected, ar.generate(req, TokenStream.NONE).tokens());
            GraphedDevice.Stats again = graphs.graphStats();
            // at most one new shape: the prompt's pass, one segment now that no weight is uploaded in its middle
            assertTrue(again.instantiated() - warm.instantiated() <= 1, "no new decode shape: " + again);
            // a decode step's launches read the position and the cached length from device memory: the graph runs as it is
            assertTrue(again.relaunched() - warm.relaunched() >= newTokens - 2, "decode steps relaunch one graph: " + again);
            assertTrue(again.graphLaunches() - warm.graphLaunches() >= newTokens, "every step a graph: " + again);
            // the layers share one staged copy of the positions, parents, cached length and KV slot (110 ops a step when
            // each op staged its own, 87 since)
            double opsPerStep = (double) (again.ops() - warm.ops()) / (again.segments() - warm.segments());
            assertTrue(opsPerStep < 95, "the step's inputs staged once, not per layer: " + opsPerStep + " ops a step");

            assertArrayEquals(expected, Methods.create("lookup", new Transformer(model, graphs), tok,
                    MethodOptions.builder().draftLength(4).build()).generate(req, TokenStream.NONE).tokens());
            GraphedDevice.Stats lookup = graphs.graphStats();
            assertTrue(lookup.graphLaunches() > again.graphLaunches(), "verification steps run as graphs: " + lookup);
        }
    }
}
