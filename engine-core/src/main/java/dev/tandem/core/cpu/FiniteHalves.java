package dev.tandem.core.cpu;

import dev.tandem.core.DType;
import dev.tandem.core.Tensor;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.ref.WeakReference;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.Map;
import java.util.WeakHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * Whether an F16 weight tensor may use the widening in registers of one to three batch rows
 * ({@link BlockLoads#halvesDownScaled} against x·2^112, {@code F16Kernels}): its halves are all finite, and this CPU's
 * FMA takes subnormal floats at full speed. AMD's does; Intel's takes a microcode assist on every denormal operand,
 * and about 4% of the 16-value vectors of real weights (gaussian, std 0.02) hold a subnormal half, so there the
 * widening through {@code vcvtph2ps} stays.
 * {@code -Dtandem.f16.widen=multiply} or {@code convert} overrides the choice.
 *
 * <p>Each tensor is checked once, by a background thread that reads it after its first matmul: meanwhile its
 * matmuls widen through {@code vcvtph2ps}, so the check costs the first token nothing (done inline it cost a
 * 1.1B model's first token 0.6-0.9 s, the reads of a cold JVM). Both widenings give the same floats, so
 * when a tensor switches changes no result.
 */
final class FiniteHalves {
    static final boolean MULTIPLY = chooseMultiplying();

    /** Tensors checked (true: all finite) or being checked (false until the check ends), while they live. */
    private static final Map<Tensor, Boolean> CHECKED = Collections.synchronizedMap(new WeakHashMap<>());

    /** One thread checks the tensors one after the other, so the checks take at most one core from decoding. */
    private static final ExecutorService CHECKER = Executors.newSingleThreadExecutor(
            r -> Thread.ofPlatform().daemon().name("tandem-f16-check").unstarted(r));

    private FiniteHalves() {}

    /** Whether {@code w} (F16) is to be widened in registers ({@link BlockLoads#halvesDownScaled}): false until its check ends. */
    static boolean widenByMultiplying(Tensor w) {
        if (!MULTIPLY || w.dtype() != DType.F16) {
            return false;
        }
        Boolean finite = CHECKED.putIfAbsent(w, false);
        if (finite == null) { // first sight: check it in the background
            WeakReference<Tensor> ref = new WeakReference<>(w);
            CHECKER.execute(() -> {
                Tensor t = ref.get();
                if (t != null) {
                    try {
                        CHECKED.put(t, allFinite(t.segment()));
                    } catch (RuntimeException e) {
                        // a confined or closed segment: this thread may not read it; the widening stays vcvtph2ps
                    }
                }
            });
            return false;
        }
        return finite;
    }

    /** Waits until every check started so far has ended (tests): the checker runs its tasks in order. */
    static void awaitChecks() throws InterruptedException, ExecutionException {
        CHECKER.submit(() -> {}).get();
    }

    /**
     * Whether every half of {@code w} is finite (none has exponent 31). Four halves per 64-bit word, without
     * branches: a half's exponent bits, flipped, are zero exactly where they were all ones, and the word-wide
     * zero test below flags such a half. Plain long arithmetic, so the first call (before the JIT has compiled
     * anything, on a model's first token) runs near the memory's pace where vector code would not.
     */
    static boolean allFinite(MemorySegment w) {
        long bytes = w.byteSize(), words = bytes / 8, found = 0;
        for (long i = 0; i < words; i++) {
            long flipped = (w.get(WORD, 8 * i) & EXPONENTS) ^ EXPONENTS;
            found |= (flipped - LOW_BITS) & ~flipped & SIGN_BITS;
        }
        for (long off = 8 * words; off + 1 < bytes; off += 2) {
            found |= (w.get(BlockLoads.I16, off) & 0x7C00) == 0x7C00 ? 1 : 0;
        }
        return found == 0;
    }

    private static final java.lang.foreign.ValueLayout.OfLong WORD =
            java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED.withOrder(java.nio.ByteOrder.LITTLE_ENDIAN);
    private static final long EXPONENTS = 0x7C00_7C00_7C00_7C00L;
    private static final long LOW_BITS = 0x0001_0001_0001_0001L;
    private static final long SIGN_BITS = 0x8000_8000_8000_8000L;

    private static boolean chooseMultiplying() {
        String forced = System.getProperty("tandem.f16.widen", "");
        if (!forced.isEmpty()) {
            if (!forced.equals("multiply") && !forced.equals("convert")) {
                throw new IllegalArgumentException("tandem.f16.widen must be multiply or convert, got " + forced);
            }
            return forced.equals("multiply") && BlockLoads.VECTOR_BLOCKS;
        }
        return BlockLoads.VECTOR_BLOCKS && "AuthenticAMD".equals(cpuVendor());
    }

    /** The CPU vendor from /proc/cpuinfo; empty where there is none (not Linux). */
    private static String cpuVendor() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.startsWith("vendor_id")) {
                    return line.substring(line.indexOf(':') + 1).trim();
                }
            }
        } catch (IOException | RuntimeException e) {
            // no /proc/cpuinfo: keep the conversion every CPU runs at full speed
        }
        return "";
    }
}
