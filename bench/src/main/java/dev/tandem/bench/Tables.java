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

    /** The cells of one line of such a CSV, as {@link #csv} quoted them (quoted cells may hold commas; "" is a quote). */
    static List<String> csvCells(String line) {
        List<String> cells = new java.util.ArrayList<>();
        StringBuilder cell = new StringBuilder();
        boolean quoted = false;
        for (int i = 0; i < line.length(); i++) {
            char c = line.charAt(i);
            if (quoted && c == '"' && i + 1 < line.length() && line.charAt(i + 1) == '"') {
                cell.append('"');
                i++;
            } else if (c == '"') {
                quoted = !quoted;
            } else if (c == ',' && !quoted) {
                cells.add(cell.toString());
                cell.setLength(0);
            } else {
                cell.append(c);
            }
        }
        cells.add(cell.toString());
        return cells;
    }

    private static String csv(String cell) {
        String c = cell.replace("**", "");
        return c.contains(",") || c.contains("\"") ? "\"" + c.replace("\"", "\"\"") + "\"" : c;
    }
}
