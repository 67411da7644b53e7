package dev.tandem.cuda;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** Tests that need the CUDA emulation library skip, saying why, where the build had no g++. */
final class EmulationAvailable {
    private EmulationAvailable() {}

    static void assume() {
        String why = EmulatedDevice.unavailableReason();
        assumeTrue(why == null, () -> "CUDA emulation not available: " + why);
    }
}
