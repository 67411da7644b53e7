package dev.tandem.kernels;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * The CUDA C sources shipped in this jar. The GPU backend compiles them at run time (NVRTC) for the GPU
 * it finds; the build compiles them with nvcc so that a broken kernel fails CI without a GPU.
 */
public final class KernelSources {
    /** Source files under {@code dev/tandem/kernels/cuda/}. */
    public static final List<String> FILES = List.of("rmsnorm.cu");

    private KernelSources() {}

    public static String read(String file) {
        String path = "cuda/" + file;
        try (InputStream in = KernelSources.class.getResourceAsStream(path)) {
            if (in == null) {
                throw new IllegalStateException("kernel source " + file + " is missing from the kernels jar");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
