package dev.tandem.bench;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * A PNG of horizontal bars, one row per label and one bar per series, each series on its own panel with
 * its own scale (e.g. speedup and mean accepted length). Java2D, headless: no plotting library needed.
 */
final class BarChart {
    record Series(String title, double[] values, Color color, double reference) {}

    private BarChart() {}

    static void write(Path file, String title, List<String> labels, List<Series> series) {
        int labelWidth = 300;
        int panelWidth = 330;
        int rowHeight = 22;
        int top = 60;
        int width = labelWidth + panelWidth * series.size() + 20;
        int height = top + rowHeight * labels.size() + 30;
        ChartCanvas canvas = ChartCanvas.open(width, height, title);
        Graphics2D g = canvas.g();
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
        canvas.save(file);
    }
}
