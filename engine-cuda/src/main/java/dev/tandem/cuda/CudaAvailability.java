package dev.tandem.cuda;

/**
 * The CUDA backend is not built yet: this module holds its place in the reactor so the CLI can give a
 * clear answer to {@code --device cuda} instead of failing obscurely.
 */
public final class CudaAvailability {
    private CudaAvailability() {}

    /** Why {@code --device cuda} cannot run in this build. */
    public static String unavailableReason() {
        return "the CUDA backend is not implemented in this version of Tandem; use --device cpu";
    }
}
