package dev.tandem.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.tandem.cuda.EmulatedDevice;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** The device check's logic, on the emulated device: what kernels/device-check.sh runs on a GPU. */
class CudaCheckTest {
    @Test
    void theDeviceCheckPassesOnTheEmulatedDevice() {
        assumeTrue(EmulatedDevice.unavailableReason() == null, () -> "no CUDA emulation: " + EmulatedDevice.unavailableReason());
        PrintStream saved = System.out;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int code;
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            java.nio.file.Path model = java.nio.file.Path.of(System.getProperty("tandem.shared", "../shared"))
                    .resolve("models/stories260k/stories260K.bin");
            code = new CommandLine(new CudaCheck()).execute("--device", "cuda-emulated", "--size", "small", "--tokens", "12",
                    "--model", model.toString());
        } finally {
            System.setOut(saved);
        }
        String text = out.toString(StandardCharsets.UTF_8);
        assertEquals(0, code, text);
        for (String kernel : new String[] {"matmul_q4_0", "attention_tree_f32", "rmsnorm_f32", "argmax_f32"}) {
            assertTrue(text.contains("| " + kernel + " |"), kernel + " is timed: " + text);
        }
        assertTrue(text.contains("| lookup |") && text.contains("same tokens as the CPU backend"), text);
        assertTrue(text.contains("| ar, op by op |") && !text.contains("DIFFERENT"), "graphs and op by op both checked: " + text);
        assertTrue(text.matches("(?s).*CUDA graphs: Stats\\[segments=\\d+, ops=\\d+, direct=\\d+, instantiated=[1-9]\\d*, .*"), text);
        assertTrue(text.contains("all results agree with the CPU backend"), text);
    }
}
