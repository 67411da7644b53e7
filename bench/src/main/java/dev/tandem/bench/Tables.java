package dev.tandem.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** A table written twice: Markdown for people (docs/MEASUREMENTS.md embeds it) and CSV for tools. */
final class Tables {
    private Tables() {}

    static void write(Path dir, String name, String caption, List<String> header, List<List<String>> rows) {
        StringBuilder md = new StringBuilder();
        if (!caption.isEmpty()) {
            md.append(caption).append("\n\n");
        }
        md.append("| ").append(String.join(" | ", header)).append(" |\n|");
        for (int i = 0; i < header.size(); i++) {
            md.append(i == 0 ? "---|" : "---:|");
        }
        md.append('\n');
        StringBuilder csv = new StringBuilder(String.join(",", header.stream().map(Tables::csv).toList())).append('\n');
        for (List<String> r : rows) {
            md.append("| ").append(String.join(" | ", r)).append(" |\n");
            csv.append(String.join(",", r.stream().map(Tables::csv).toList())).append('\n');
        }
        try {
            Files.createDirectories(dir);
            Files.writeString(dir.resolve(name + ".md"), md);
            Files.writeString(dir.resolve(name + ".csv"), csv);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String csv(String cell) {
        String c = cell.replace("**", "");
        return c.contains(",") || c.contains("\"") ? "\"" + c.replace("\"", "\"\"") + "\"" : c;
    }
}
