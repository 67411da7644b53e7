package dev.tandem.cli;

import java.io.PrintWriter;
import java.util.Locale;

/** A one-line progress bar redrawn in place at most five times a second. */
final class ProgressBar {
    private final PrintWriter err;
    private final String label;
    private long lastDraw;

    ProgressBar(PrintWriter err, String label) {
        this.err = err;
        this.label = label;
    }

    void show(double fraction, String detail) {
        long now = System.nanoTime();
        if (now - lastDraw < 200_000_000L && fraction < 1) {
            return;
        }
        lastDraw = now;
        int filled = (int) Math.round(Math.min(1, fraction) * 30);
        err.print("\r" + label + " [" + "#".repeat(filled) + ".".repeat(30 - filled) + "] "
                + String.format(Locale.ROOT, "%3.0f%%  ", fraction * 100) + detail + "   ");
        err.flush();
    }

    /** {@link #show} for a count of generated corpus positions out of {@code total}. */
    void positions(long made, long total) {
        show(made / (double) total, String.format(Locale.ROOT, "%,d/%,d positions", made, total));
    }

    void done() {
        err.println();
    }
}
