package dev.tandem.core.cpu;

import static dev.tandem.core.cpu.VectorMath.L;

import dev.tandem.core.DType;
import dev.tandem.core.Tensor;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.Map;
import java.util.WeakHashMap;

/**
 * Whether an F16 weight tensor may use the widening by multiplication ({@link BlockLoads#finiteHalves}):
 * its halves are all finite (checked once per tensor, one read of it on its first matmul, then kept while the
 * tensor lives), and this CPU multiplies subnormal floats at full speed. AMD's do; Intel's take a microcode
 * assist on every denormal operand, and about 4% of the 16-value vectors of real weights (gaussian, std 0.02)
 * hold a subnormal half, so there the widening through {@code vcvtph2ps} stays. {@code -Dtandem.f16.widen=}
 * {@code multiply} or {@code convert} overrides the choice.
 */
final class FiniteHalves {
    static final boolean MULTIPLY = widenByMultiplying();

    private static final Map<Tensor, Boolean> CHECKED = Collections.synchronizedMap(new WeakHashMap<>());

    private FiniteHalves() {}

    /** Whether {@code w} (F16) is to be widened by {@link BlockLoads#finiteHalves}. */
    static boolean widenByMultiplying(Tensor w) {
        return MULTIPLY && w.dtype() == DType.F16 && CHECKED.computeIfAbsent(w, t -> allFinite(t.segment()));
    }

    /** Whether every half of {@code w} is finite (none has exponent 31). */
    static boolean allFinite(MemorySegment w) {
        long bytes = w.byteSize(), full = bytes - bytes % (2L * L);
        for (long off = 0; off < full; off += 2L * L) {
            if (BlockLoads.anyNonFiniteHalf(w, off)) {
                return false;
            }
        }
        for (long off = full; off + 1 < bytes; off += 2) {
            if ((w.get(BlockLoads.I16, off) & 0x7C00) == 0x7C00) {
                return false;
            }
        }
        return true;
    }

    private static boolean widenByMultiplying() {
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
