package dev.tandem.decoding;

import java.util.function.LongSupplier;

/**
 * The clock decoding times itself by: the generators' step and pass times, the cost model's calibration and the
 * router's drafting times, which the draft sizer and the router decide from. {@link System#nanoTime} unless a
 * simulation replaces it ({@code bench methods --simulate-costs}: every target pass charged what a pass of that many
 * rows costs on a model too slow to run here, so a method's decisions and its tokens per second are those it would
 * have there). One clock for the process because those decisions are read in many places and a simulation runs
 * alone in its JVM; an embedding service never sets it.
 */
public final class DecodingClock {
    private static volatile LongSupplier source = System::nanoTime;

    private DecodingClock() {}

    /** Nanoseconds, from an arbitrary origin (as {@link System#nanoTime}). */
    public static long nanoTime() {
        return source.getAsLong();
    }

    /** Replaces the clock until {@link #reset}; for simulations, not for serving. */
    public static void use(LongSupplier nanoTime) {
        source = nanoTime;
    }

    /** Back to {@link System#nanoTime}. */
    public static void reset() {
        source = System::nanoTime;
    }
}
