package dev.tandem.cli;

import dev.tandem.core.Backend;
import dev.tandem.core.TandemException;
import dev.tandem.core.cpu.CpuBackend;
import dev.tandem.cuda.CudaAvailability;
import dev.tandem.cuda.CudaBackend;
import dev.tandem.cuda.DriverDevice;
import dev.tandem.models.Model;
import dev.tandem.models.ModelLoader;
import dev.tandem.models.Tokenizer;
import dev.tandem.models.tokenizer.Tokenizers;
import java.nio.file.Files;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** Options every model-running command shares: which model, tokenizer, device and threads. */
final class ModelOptions {
    static final String DEFAULT_MODEL = "../shared/models/stories260k/stories260K.bin";

    @Option(names = "--model", paramLabel = "PATH",
            description = "Model: a GGUF file, a Hugging Face folder or a llama2.c .bin. Default: $TANDEM_MODEL, else " + DEFAULT_MODEL + " beside the Tandem checkout.")
    Path model;

    @Option(names = "--tokenizer", paramLabel = "PATH",
            description = "Tokenizer: a llama2.c .bin file, a Hugging Face tokenizer.json, or a folder holding one. "
                    + "Default: tokenizer.bin, tok<vocab>.bin or tokenizer.json beside the model.")
    Path tokenizer;

    @Option(names = "--device", paramLabel = "cpu|cuda|cuda-emulated", defaultValue = "cpu",
            description = "Where to run: cpu, cuda (GPU 0), or cuda-emulated (the CUDA kernels emulated on the CPU, for kernel work; slow). Default: ${DEFAULT-VALUE}.")
    String device;

    @Option(names = "--threads", paramLabel = "N", description = "CPU worker threads (default: all processors).")
    Integer threads;

    @Option(names = {"--ctx-size", "-c"}, paramLabel = "N", defaultValue = "0",
            description = "Positions the KV cache holds, at most the model's context length (default: the model's; as llama.cpp's -c).")
    int ctxSize;

    Path modelPath() {
        if (model != null) {
            return model;
        }
        String env = System.getenv("TANDEM_MODEL");
        if (env != null && !env.isBlank()) {
            return Path.of(env);
        }
        String home = System.getProperty("tandem.home");
        Path besideCheckout = home == null ? null : Path.of(home).resolve(DEFAULT_MODEL).normalize();
        return besideCheckout != null && Files.exists(besideCheckout) ? besideCheckout : Path.of(DEFAULT_MODEL);
    }

    Model loadModel() {
        return ModelLoader.load(modelPath(), ctxSize);
    }

    Tokenizer loadTokenizer(Model m) {
        return Tokenizers.forModel(m, tokenizer);
    }

    Backend backend() {
        switch (device) {
            case "cpu" -> {
                int n = threads == null ? Runtime.getRuntime().availableProcessors() : threads;
                if (n < 1 || n > 1024) {
                    throw new TandemException("--threads must be between 1 and 1024, got " + n);
                }
                return new CpuBackend(n);
            }
            case "cuda" -> {
                String why = CudaAvailability.unavailableReason();
                if (why != null) {
                    throw new TandemException(why);
                }
                return new CudaBackend(DriverDevice.open(0));
            }
            case "cuda-emulated" -> {
                return CudaBackend.emulated();
            }
            default -> throw new TandemException("unknown device '" + device + "'; use cpu, cuda or cuda-emulated");
        }
    }
}
