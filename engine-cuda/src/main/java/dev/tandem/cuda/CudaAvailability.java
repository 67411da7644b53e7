package dev.tandem.cuda;

/** Whether {@code --device cuda} can run here, in one line when it cannot. */
public final class CudaAvailability {
    private CudaAvailability() {}

    /** Why {@code --device cuda} cannot run on this machine, or null when it can. */
    public static String unavailableReason() {
        return DriverDevice.unavailableReason();
    }
}
