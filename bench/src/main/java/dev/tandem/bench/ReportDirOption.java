package dev.tandem.bench;

import java.nio.file.Path;
import picocli.CommandLine.Option;

/** {@code --report-dir}, declared once for every benchmark that can also write its results as files. */
final class ReportDirOption {
    @Option(names = "--report-dir", paramLabel = "DIR", description = "Also write Markdown, CSV and PNG there.")
    String dir = "";

    /** The folder to write into, or null when no report was asked for (empty counts as not asked). */
    Path orNull() {
        return dir.isEmpty() ? null : Path.of(dir);
    }
}
