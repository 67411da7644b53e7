package dev.tandem.kernels;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * The CUDA C sources shipped in this jar, with the PTX the build makes of them ({@code ptx/sm_80},
 * {@code ptx/sm_90}) and their CPU emulation ({@code emulation/}). The build compiles every source with
 * nvcc so that a broken kernel fails CI without a GPU.
 */
public final class KernelSources {
    /** Source files under {@code dev/tandem/kernels/cuda/}. */
    public static final List<String> FILES = List.of("attention.cu", "drafting.cu", "elementwise.cu", "matmul.cu", "rmsnorm.cu");

    private KernelSources() {}

    public static String read(String file) {
        return resource("cuda/" + file);
    }

    /** The PTX of one source for an architecture ({@code sm_80} or {@code sm_90}), or null where nvcc was absent at build time. */
    public static String ptx(String file, String arch) {
        String path = "ptx/" + arch + "/" + file.replace(".cu", ".ptx");
        if (KernelSources.class.getResource(path) == null) {
            return null;
        }
        return resource(path);
    }

    private static String resource(String path) {
        try (InputStream in = KernelSources.class.getResourceAsStream(path)) {
            if (in == null) {
                throw new IllegalStateException(path + " is missing from the kernels jar");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
