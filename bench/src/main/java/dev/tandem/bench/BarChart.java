package dev.tandem.bench;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import javax.imageio.ImageIO;

/**
 * A PNG of horizontal bars, one row per label and one bar per series, each series on its own panel with
 * its own scale (e.g. speedup and mean accepted length). Java2D, headless: no plotting library needed.
 */
final class BarChart {
    record Series(String title, double[] values, Color color, double reference) {}

    private BarChart() {}

    static void write(Path file, String title, List<String> labels, List<Series> series) {
        System.setProperty("java.awt.headless", "true");
        int labelWidth = 300;
        int panelWidth = 330;
        int rowHeight = 22;
        int top = 60;
        int width = labelWidth + panelWidth * series.size() + 20;
        int height = top + rowHeight * labels.size() + 30;
        BufferedImage img = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, width, height);
        g.setColor(Color.BLACK);
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 15));
        g.drawString(title, 10, 22);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        for (int r = 0; r < labels.size(); r++) {
            g.setColor(Color.DARK_GRAY);
            g.drawString(labels.get(r), 10, top + r * rowHeight + 15);
        }
        for (int s = 0; s < series.size(); s++) {
            Series se = series.get(s);
            int x0 = labelWidth + s * panelWidth;
            int barMax = panelWidth - 70;
            double max = se.reference();
            for (double v : se.values()) {
                max = Math.max(max, v);
            }
            g.setColor(Color.BLACK);
            g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 12));
            g.drawString(se.title(), x0, top - 12);
            g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
            for (int r = 0; r < se.values().length; r++) {
                double v = se.values()[r];
                int w = (int) Math.round(v / max * barMax);
                int y = top + r * rowHeight + 3;
                g.setColor(se.color());
                g.fillRect(x0, y, w, rowHeight - 7);
                g.setColor(Color.BLACK);
                g.drawString(String.format(Locale.ROOT, "%.2f", v), x0 + w + 4, y + 12);
            }
            if (se.reference() > 0) { // e.g. 1.0 = as fast as plain decoding
                int rx = x0 + (int) Math.round(se.reference() / max * barMax);
                g.setColor(Color.RED);
                g.setStroke(new BasicStroke(1.5f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10, new float[] {4, 3}, 0));
                g.drawLine(rx, top - 4, rx, top + rowHeight * labels.size());
            }
        }
        g.dispose();
        try {
            Path dir = file.toAbsolutePath().getParent();
            if (dir != null) {
                Files.createDirectories(dir);
            }
            ImageIO.write(img, "png", file.toFile());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
