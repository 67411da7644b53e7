package dev.tandem.bench;

import dev.tandem.core.AttentionShape;
import dev.tandem.core.Backend;
import dev.tandem.core.DType;
import dev.tandem.core.Quantization;
import dev.tandem.core.Rope;
import dev.tandem.core.RopeTable;
import dev.tandem.core.TandemException;
import dev.tandem.core.Tensor;
import dev.tandem.core.TreeMask;
import dev.tandem.core.cpu.CpuBackend;
import dev.tandem.cuda.CudaAvailability;
import dev.tandem.cuda.CudaBackend;
import dev.tandem.cuda.CudaDevice;
import dev.tandem.cuda.DriverDevice;
import dev.tandem.cuda.EmulatedDevice;
import dev.tandem.decoding.AutoregressiveGenerator;
import dev.tandem.decoding.GenerationRequest;
import dev.tandem.decoding.GenerationResult;
import dev.tandem.decoding.MethodOptions;
import dev.tandem.decoding.Methods;
import dev.tandem.decoding.SamplingParams;
import dev.tandem.decoding.TokenStream;
import dev.tandem.models.Batch;
import dev.tandem.models.Model;
import dev.tandem.models.ModelLoader;
import dev.tandem.models.Tokenizer;
import dev.tandem.models.Transformer;
import dev.tandem.models.tokenizer.Tokenizers;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The device check of the CUDA backend (kernels/device-check.sh runs it on a GPU machine): every kernel
 * against the CPU backend on random inputs, with its time per launch; then per model, greedy tokens on the
 * device against the CPU backend, tokens/s of plain decoding and of prompt-lookup drafting, and the
 * verification cost of 16 and 64 rows. Exits non-zero when any result disagrees. Runs on the emulated
 * device too (--device cuda-emulated, --size small), which is how its logic is tested without a GPU.
 */
@Command(name = "cuda-check", mixinStandardHelpOptions = true,
        description = "Check the CUDA backend's kernels and models against the CPU backend, and time them.")
public final class CudaCheck implements Callable<Integer> {
    @Option(names = "--device", paramLabel = "cuda|cuda-emulated", description = "Device (default: ${DEFAULT-VALUE}).")
    String device = "cuda";

    @Option(names = "--size", paramLabel = "small|large", description = "Kernel shapes: large is a Llama-2-7B layer (default: ${DEFAULT-VALUE}).")
    String size = "large";

    @Option(names = "--model", split = ",", paramLabel = "PATH[,PATH...]", description = "Models to decode (default: stories260K).")
    List<Path> models = List.of(BenchPaths.defaultModel());

    @Option(names = "--tokens", paramLabel = "N", description = "Tokens generated per model (default: ${DEFAULT-VALUE}).")
    int tokens = 64;

    @Option(names = "--reps", paramLabel = "N", description = "Launches timed per kernel (default: ${DEFAULT-VALUE}).")
    int reps = 50;

    private int failures;

    public static void main(String[] args) throws Exception {
        Main.run(new CudaCheck(), args);
    }

    @Override
    public Integer call() {
        boolean large = switch (size) {
            case "large" -> true;
            case "small" -> false;
            default -> throw new TandemException("--size must be small or large, got '" + size + "'");
        };
        System.out.println("machine: " + MachineInfo.describe());
        // kernels are timed launch by launch; models run on CUDA graphs, and op by op for comparison
        try (CudaBackend opByOp = new CudaBackend(openDevice(), false); CudaBackend cuda = new CudaBackend(openDevice(), true);
             // the reference takes x as floats, as the CUDA kernels do (the CPU's Q4_0 default rounds it to int8)
             CpuBackend cpu = new CpuBackend(Runtime.getRuntime().availableProcessors(), CpuBackend.Activations.FLOAT);
             Arena arena = Arena.ofShared()) {
            System.out.println("device: " + opByOp.name());
            kernels(opByOp, cpu, arena, large);
            for (Path m : models) {
                model(cuda, opByOp, cpu, m);
            }
            System.out.println();
            System.out.println("CUDA graphs: " + cuda.graphStats());
        }
        System.out.println(failures == 0 ? "cuda-check: all results agree with the CPU backend"
                : "cuda-check: " + failures + " result(s) disagree with the CPU backend");
        return failures == 0 ? 0 : 1;
    }

    private CudaDevice openDevice() {
        return switch (device) {
            case "cuda" -> {
                String why = CudaAvailability.unavailableReason();
                if (why != null) {
                    throw new TandemException(why);
                }
                yield DriverDevice.open(0);
            }
            case "cuda-emulated" -> EmulatedDevice.open();
            default -> throw new TandemException("--device must be cuda or cuda-emulated, got '" + device + "'");
        };
    }

    // --- kernels ---------------------------------------------------------------------------------------

    private void kernels(CudaBackend cuda, CpuBackend cpu, Arena arena, boolean large) {
        int n = large ? 4096 : 256, d = large ? 4096 : 192, vocab = large ? 32000 : 512;
        Random rnd = new Random(1);
        System.out.println();
        System.out.println("| kernel | shape | µs per launch | GB/s of weights | max error / max value |");
        System.out.println("|---|---|---:|---:|---:|");
        for (DType type : DType.values()) {
            Tensor w = weight(arena, type, random(rnd, d * n), d, n);
            for (int rows : new int[] {1, 16, 64}) {
                float[] x = random(rnd, rows * n);
                Tensor e = cpu.allocate(rows, d);
                cpu.matmul(e, on(cpu, x, rows, n), w, rows);
                Tensor xa = on(cuda, x, rows, n);
                Tensor a = cuda.allocate(rows, d);
                double us = time(cuda, () -> cuda.matmul(a, xa, w, rows));
                report("matmul_" + type.name().toLowerCase(Locale.ROOT), rows + " x " + n + " -> " + d, us,
                        type.byteSize((long) d * n) / (us * 1e3), error(cpu, e, cuda, a, rows));
            }
        }
        int rows = 16;
        float[] x = random(rnd, rows * n);
        Tensor norm = weight(arena, DType.F32, random(rnd, n), 1, n);
        Tensor e = on(cpu, x, rows, n);
        Tensor a = on(cuda, x, rows, n);
        cpu.rmsNorm(e, e, norm, rows, 1e-5f);
        Tensor src = on(cuda, x, rows, n);
        report("rmsnorm_f32", rows + " x " + n, time(cuda, () -> cuda.rmsNorm(a, src, norm, rows, 1e-5f)), 0,
                error(cpu, e, cuda, a, rows));
        int hs = large ? 128 : 16, heads = n / hs;
        RopeTable table = new RopeTable(hs, 4096, Rope.adjacent(10000f));
        int[] positions = new int[rows];
        Arrays.setAll(positions, i -> 100 + i);
        Tensor er = on(cpu, x, rows, n);
        Tensor ar = on(cuda, x, rows, n);
        cpu.rope(er, rows, n, positions, table);
        cuda.rope(ar, rows, n, positions, table);
        double ropeError = error(cpu, er, cuda, ar, rows);
        report("rope_f32", rows + " x " + n, time(cuda, () -> cuda.rope(ar, rows, n, positions, table)), 0, ropeError);
        float[] logits = random(rnd, 8 * vocab);
        Tensor el = on(cpu, logits, 8, vocab);
        Tensor al = on(cuda, logits, 8, vocab);
        int[] expectArgmax = new int[8];
        Arrays.setAll(expectArgmax, r -> cpu.argmax(el, r));
        int[] gotArgmax = cuda.argmaxRows(al, 0, 8);
        report("argmax_f32", "8 x " + vocab, time(cuda, () -> cuda.argmaxRows(al, 0, 8)), 0, Arrays.equals(expectArgmax, gotArgmax) ? 0 : 1);
        cpu.softmax(el, 8, vocab);
        cuda.softmax(al, 8, vocab);
        double softmaxError = error(cpu, el, cuda, al, 8); // before timing, which repeats it in place
        report("softmax_f32", "8 x " + vocab, time(cuda, () -> cuda.softmax(al, 8, vocab)), 0, softmaxError);
        attention(cuda, cpu, rnd, new AttentionShape(heads, heads, hs), large ? 2048 : 200);
    }

    private void attention(CudaBackend cuda, CpuBackend cpu, Random rnd, AttentionShape shape, int cached) {
        for (int rows : new int[] {1, 64}) {
            int[] parents = new int[rows];
            for (int i = 0; i < rows; i++) {
                parents[i] = i == 0 ? -1 : rnd.nextInt(i); // a random tree
            }
            TreeMask mask = TreeMask.of(parents);
            int slots = cached + rows;
            Tensor ek = cpu.allocateKeys(slots, shape.kvDim()), ev = cpu.allocateValues(slots, shape.kvDim());
            Tensor ak = cuda.allocateKeys(slots, shape.kvDim()), av = cuda.allocateValues(slots, shape.kvDim());
            float[] k = random(rnd, slots * shape.kvDim());
            float[] v = random(rnd, slots * shape.kvDim());
            cpu.storeKv(ek, ev, on(cpu, k, slots, shape.kvDim()), on(cpu, v, slots, shape.kvDim()), 0, slots);
            cuda.storeKv(ak, av, on(cuda, k, slots, shape.kvDim()), on(cuda, v, slots, shape.kvDim()), 0, slots);
            float[] q = random(rnd, rows * shape.dim());
            Tensor e = cpu.allocate(rows, shape.dim());
            Tensor a = cuda.allocate(rows, shape.dim());
            Tensor qa = on(cuda, q, rows, shape.dim());
            cpu.attention(e, on(cpu, q, rows, shape.dim()), ek, ev, cached, mask, shape);
            double us = time(cuda, () -> cuda.attention(a, qa, ak, av, cached, mask, shape));
            report("attention_tree_f32", rows + " rows, " + shape.heads() + " heads of " + shape.headSize() + ", " + cached + " cached",
                    us, 0, error(cpu, e, cuda, a, rows));
        }
    }

    private double time(CudaBackend cuda, Runnable op) {
        op.run();
        cuda.device().synchronize();
        int n = device.equals("cuda") ? reps : Math.min(reps, 3);
        long t0 = System.nanoTime();
        for (int i = 0; i < n; i++) {
            op.run();
        }
        cuda.device().synchronize();
        return (System.nanoTime() - t0) / 1e3 / n;
    }

    private void report(String kernel, String shape, double us, double gbPerS, double error) {
        boolean ok = error <= 1e-4;
        if (!ok) {
            failures++;
        }
        System.out.printf(Locale.ROOT, "| %s | %s | %.1f | %s | %.2e%s |%n", kernel, shape, us,
                gbPerS > 0 ? String.format(Locale.ROOT, "%.1f", gbPerS) : "", error, ok ? "" : " DISAGREES");
    }

    private static double error(CpuBackend cpu, Tensor e, CudaBackend cuda, Tensor a, int rows) {
        double worst = 0, scale = 1e-9;
        for (int r = 0; r < rows; r++) {
            float[] x = cpu.readRow(e, r), y = cuda.readRow(a, r);
            for (int i = 0; i < x.length; i++) {
                worst = Math.max(worst, Math.abs(x[i] - y[i]));
                scale = Math.max(scale, Math.abs(x[i]));
            }
        }
        return worst / scale;
    }

    private static float[] random(Random rnd, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) rnd.nextGaussian();
        }
        return a;
    }

    private static Tensor weight(Arena arena, DType type, float[] values, int rows, int cols) {
        MemorySegment seg = arena.allocate(type.byteSize((long) rows * cols), 16);
        for (int r = 0; r < rows; r++) {
            Quantization.encode(type, values, r * cols, cols, seg, r * type.byteSize(cols));
        }
        return Tensor.of(seg, type, rows, cols);
    }

    private static Tensor on(Backend b, float[] values, int rows, int cols) {
        Tensor t = b.allocate(rows, cols);
        b.copyRows(Tensor.wrap(values, rows, cols), 0, t, 0, rows);
        return t;
    }

    // --- models ----------------------------------------------------------------------------------------

    private void model(CudaBackend cuda, CudaBackend opByOp, CpuBackend cpu, Path path) {
        try (Model m = ModelLoader.load(path)) {
            Tokenizer tok = Tokenizers.forModel(m, null);
            GenerationRequest req = new GenerationRequest(tok.encode("Once upon a time, there was a little girl named Lily.", true, false),
                    tokens, SamplingParams.GREEDY);
            int[] expected = new AutoregressiveGenerator(new Transformer(m, cpu), tok).generate(req, TokenStream.NONE).tokens();
            System.out.println();
            System.out.println("model " + path.getFileName() + " (" + m.weights().layers().get(0).wq().dtype() + ")");
            List<String> rows = new ArrayList<>();
            for (String method : List.of("ar", "ar, op by op", "lookup")) {
                CudaBackend b = method.endsWith("op by op") ? opByOp : cuda;
                new AutoregressiveGenerator(new Transformer(m, b), tok).generate(req, TokenStream.NONE); // warm-up, uploads, graphs
                long t0 = System.nanoTime();
                GenerationResult r = method.startsWith("ar")
                        ? new AutoregressiveGenerator(new Transformer(m, b), tok).generate(req, TokenStream.NONE)
                        : Methods.create(method, new Transformer(m, b), tok, MethodOptions.defaults()).generate(req, TokenStream.NONE);
                double seconds = (System.nanoTime() - t0) / 1e9;
                boolean same = Arrays.equals(expected, r.tokens());
                if (!same) {
                    failures++;
                }
                rows.add(String.format(Locale.ROOT, "| %s | %.1f | %s |", method, r.tokens().length / seconds,
                        same ? "same tokens as the CPU backend" : "DIFFERENT tokens from the CPU backend"));
            }
            System.out.println("| method | tokens/s | greedy check |");
            System.out.println("|---|---:|---|");
            rows.forEach(System.out::println);
            verifyCost(cuda, m);
        }
    }

    private void verifyCost(CudaBackend cuda, Model m) {
        Transformer t = new Transformer(m, cuda, 64);
        int[] prefix = new int[Math.min(128, m.config().contextLength() - 64)];
        Arrays.fill(prefix, 5);
        for (int s = 0; s < prefix.length; s += 64) {
            int n = Math.min(64, prefix.length - s);
            t.forward(Batch.chain(Arrays.copyOf(prefix, n)));
            t.cache().commitChain(n);
        }
        System.out.println("| rows k | ms per forward | cost / 1 row |");
        System.out.println("|---:|---:|---:|");
        double one = 0;
        for (int k : new int[] {1, 16, 64}) {
            int[] toks = new int[k];
            Arrays.fill(toks, 7);
            t.forward(Batch.chain(toks));
            cuda.device().synchronize(); // each pass its own segment, as when decoding reads its logits: one graph per k
            int n = device.equals("cuda") ? 20 : 2;
            long t0 = System.nanoTime();
            for (int i = 0; i < n; i++) {
                t.forward(Batch.chain(toks));
                cuda.device().synchronize();
            }
            double ms = (System.nanoTime() - t0) / 1e6 / n;
            if (k == 1) {
                one = ms;
            }
            System.out.printf(Locale.ROOT, "| %d | %.3f | %.2f |%n", k, ms, ms / one);
        }
    }
}
