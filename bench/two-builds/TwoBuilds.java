import java.io.File;
import java.lang.reflect.Constructor;
import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * Two builds of Tandem decoding in one JVM, generation by generation: each build's jars in a class loader of its own,
 * one model and engine per build, greedy generations from BOS alternated ABBA. On a shared machine whose speed moves
 * by 1.4x between minutes, process-against-process pairs swing more than the changes measured; here both builds see
 * the same minutes. Run it with the builds in either order (bench/two-builds.sh does): the order moves the ratio by a
 * few percent (each loader's code compiled and its weights placed on their own), so the geometric mean of the two
 * orders is the figure; a control of two builds running the same code gave 0.975. Reflection only, against the public
 * API (ModelLoader, Tokenizers, CpuBackend, Transformer, AutoregressiveGenerator), so it runs against any build that
 * has it.
 */
public class TwoBuilds {
    /** One build's generator and request, and its generate method. */
    record Build(Object generator, Object request, Object stream, Method generate) {
        double seconds() throws Exception {
            long t0 = System.nanoTime();
            generate.invoke(generator, request, stream);
            return (System.nanoTime() - t0) / 1e9;
        }
    }

    static Build load(String libDir, String model, int threads, int tokens) throws Exception {
        List<URL> urls = new ArrayList<>();
        File[] jars = new File(libDir).listFiles((d, n) -> n.endsWith(".jar"));
        if (jars == null || jars.length == 0) {
            throw new IllegalArgumentException(libDir + " holds no jars (a build's bench/target/lib)");
        }
        for (File f : jars) {
            urls.add(f.toURI().toURL());
        }
        ClassLoader cl = new URLClassLoader(urls.toArray(new URL[0]), ClassLoader.getPlatformClassLoader());
        Object m = cl.loadClass("dev.tandem.models.ModelLoader").getMethod("load", Path.class, int.class).invoke(null, Path.of(model), 0);
        Class<?> modelClass = cl.loadClass("dev.tandem.models.Model");
        Class<?> tokenizerClass = cl.loadClass("dev.tandem.models.Tokenizer");
        Object tok = cl.loadClass("dev.tandem.models.tokenizer.Tokenizers").getMethod("forModel", modelClass, Path.class).invoke(null, m, null);
        Object backend = cl.loadClass("dev.tandem.core.cpu.CpuBackend").getConstructor(int.class).newInstance(threads);
        Class<?> backendClass = cl.loadClass("dev.tandem.core.Backend");
        Object transformer = cl.loadClass("dev.tandem.models.Transformer").getConstructor(modelClass, backendClass).newInstance(m, backend);
        Class<?> genClass = cl.loadClass("dev.tandem.decoding.AutoregressiveGenerator");
        Object gen = genClass.getConstructor(transformer.getClass(), tokenizerClass).newInstance(transformer, tok);
        int bos = (int) tokenizerClass.getMethod("bos").invoke(tok);
        Class<?> params = cl.loadClass("dev.tandem.decoding.SamplingParams");
        Class<?> reqClass = cl.loadClass("dev.tandem.decoding.GenerationRequest");
        Constructor<?> rc = reqClass.getConstructor(int[].class, int.class, params);
        Object req = rc.newInstance(new int[] {bos}, tokens, params.getField("GREEDY").get(null));
        Class<?> streamClass = cl.loadClass("dev.tandem.decoding.TokenStream");
        Object none = streamClass.getField("NONE").get(null);
        return new Build(gen, req, none, genClass.getMethod("generate", reqClass, streamClass));
    }

    public static void main(String[] a) throws Exception {
        if (a.length < 3) {
            System.err.println("usage: TwoBuilds A_LIB B_LIB MODEL [ROUNDS=10] [TOKENS=64] [THREADS=2] [WARMUP_SECONDS=8]");
            System.exit(2);
        }
        int rounds = a.length > 3 ? Integer.parseInt(a[3]) : 10, tokens = a.length > 4 ? Integer.parseInt(a[4]) : 64;
        int threads = a.length > 5 ? Integer.parseInt(a[5]) : 2;
        double warmup = a.length > 6 ? Double.parseDouble(a[6]) : 8;
        Build x = load(a[0], a[2], threads, tokens), y = load(a[1], a[2], threads, tokens);
        long end = System.nanoTime() + (long) (warmup * 1e9);
        while (System.nanoTime() < end) {
            x.seconds();
            y.seconds();
        }
        double ta = 0, tb = 0;
        List<Double> ratios = new ArrayList<>();
        for (int r = 0; r < rounds; r++) {
            double sa, sb;
            if (r % 2 == 0) { // A B B A, then B A A B
                sa = x.seconds();
                sb = y.seconds() + y.seconds();
                sa += x.seconds();
            } else {
                sb = y.seconds();
                sa = x.seconds() + x.seconds();
                sb += y.seconds();
            }
            ta += sa;
            tb += sb;
            ratios.add(sa / sb);
        }
        Collections.sort(ratios);
        System.out.printf("B/A speed: overall %.3f, median round %.3f, rounds %.3f-%.3f; A %.1f, B %.1f tokens/s (%d rounds of 4 x %d tokens, %d threads)%n",
                ta / tb, ratios.get(rounds / 2), ratios.get(0), ratios.get(rounds - 1), 2 * rounds * tokens / ta, 2 * rounds * tokens / tb,
                rounds, tokens, threads);
        System.exit(0); // the engines' worker threads
    }
}
