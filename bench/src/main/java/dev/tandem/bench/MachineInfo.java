package dev.tandem.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import jdk.incubator.vector.FloatVector;

/** The machine a figure was measured on: CPU model, cores, the Vector API's preferred width, the JDK. */
public final class MachineInfo {
    private MachineInfo() {}

    public static String describe() {
        return String.format("%s, %d cores, %d-bit vectors (%d float lanes), JDK %s", cpuModel(),
                Runtime.getRuntime().availableProcessors(), FloatVector.SPECIES_PREFERRED.vectorBitSize(),
                FloatVector.SPECIES_PREFERRED.length(), Runtime.version());
    }

    static String cpuModel() {
        try {
            java.util.List<String> lines = Files.readAllLines(Path.of("/proc/cpuinfo"));
            String name = field(lines, "model name");
            String flags = " " + field(lines, "flags") + " ";
            if (!name.isEmpty()) {
                return name + (flags.contains(" avx512f ") ? " (AVX-512)" : flags.contains(" avx2 ") ? " (AVX2)" : "");
            }
        } catch (IOException | RuntimeException e) {
            // not Linux: fall through to the JVM's architecture name
        }
        return System.getProperty("os.arch");
    }

    /** The value of the first "key : value" line for {@code key}, or "". */
    private static String field(java.util.List<String> lines, String key) {
        for (String line : lines) {
            if (line.startsWith(key)) {
                return line.substring(line.indexOf(':') + 1).strip();
            }
        }
        return "";
    }
}
