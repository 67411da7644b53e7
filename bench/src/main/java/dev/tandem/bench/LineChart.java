package dev.tandem.bench;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/** A PNG of lines with markers over linear axes (Java2D, headless), with a legend. */
final class LineChart {
    record Series(String name, double[] x, double[] y) {}

    static final Color[] COLORS = {new Color(0x3b75af), new Color(0xef8636), new Color(0x519e3e), new Color(0xc53a32),
            new Color(0x8d69b8), new Color(0x84584e), new Color(0xd57dbf), new Color(0x7f7f7f), new Color(0xbcbc35), new Color(0x42bbcc)};

    private LineChart() {}

    static void write(Path file, String title, String xLabel, String yLabel, List<Series> series, double referenceSlope) {
        int width = 900;
        int height = 520;
        int left = 80;
        int right = 250;
        int top = 50;
        int bottom = 60;
        double xMax = 0;
        double yMax = 0;
        for (Series s : series) {
            for (double v : s.x()) {
                xMax = Math.max(xMax, v);
            }
            for (double v : s.y()) {
                yMax = Math.max(yMax, v);
            }
        }
        boolean integerX = series.stream().allMatch(se -> java.util.Arrays.stream(se.x()).allMatch(v -> v == Math.rint(v)));
        xMax = integerX ? Math.max(5, Math.ceil(xMax / 5) * 5) : niceCeil(xMax); // integer x (counts): integer ticks
        yMax = niceCeil(yMax * 1.05);
        ChartCanvas canvas = ChartCanvas.open(width, height, title);
        Graphics2D g = canvas.g();
        int pw = width - left - right;
        int ph = height - top - bottom;
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
        for (int i = 0; i <= 5; i++) {
            int y = top + ph - ph * i / 5;
            g.setColor(new Color(0xe0e0e0));
            g.drawLine(left, y, left + pw, y);
            g.setColor(Color.DARK_GRAY);
            g.drawString(label(yMax * i / 5), left - 45, y + 4);
            int x = left + pw * i / 5;
            g.drawString(label(xMax * i / 5), x - 8, top + ph + 16);
        }
        g.setColor(Color.BLACK);
        g.drawRect(left, top, pw, ph);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        g.drawString(xLabel, left + pw / 2 - 60, height - 18);
        g.drawString(yLabel, 10, top - 8);
        if (referenceSlope > 0) { // e.g. y = x: cost proportional to rows
            g.setColor(Color.RED);
            g.setStroke(new BasicStroke(1.2f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10, new float[] {4, 3}, 0));
            double xEnd = Math.min(xMax, yMax / referenceSlope);
            g.drawLine(px(0, xMax, left, pw), py(0, yMax, top, ph), px(xEnd, xMax, left, pw), py(xEnd * referenceSlope, yMax, top, ph));
        }
        for (int s = 0; s < series.size(); s++) {
            Series se = series.get(s);
            Color c = COLORS[s % COLORS.length];
            g.setColor(c);
            g.setStroke(new BasicStroke(2f));
            for (int i = 0; i < se.x().length; i++) {
                int x = px(se.x()[i], xMax, left, pw);
                int y = py(se.y()[i], yMax, top, ph);
                g.fillOval(x - 3, y - 3, 7, 7);
                if (i > 0) {
                    g.drawLine(px(se.x()[i - 1], xMax, left, pw), py(se.y()[i - 1], yMax, top, ph), x, y);
                }
            }
            g.fillRect(left + pw + 15, top + 10 + s * 20, 14, 10);
            g.setColor(Color.BLACK);
            g.drawString(se.name(), left + pw + 35, top + 19 + s * 20);
        }
        canvas.save(file);
    }

    private static int px(double x, double xMax, int left, int pw) {
        return left + (int) Math.round(x / xMax * pw);
    }

    private static int py(double y, double yMax, int top, int ph) {
        return top + ph - (int) Math.round(y / yMax * ph);
    }

    private static double niceCeil(double v) {
        if (v <= 0) {
            return 1;
        }
        double p = Math.pow(10, Math.floor(Math.log10(v)));
        for (double m : new double[] {1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10}) {
            if (m * p >= v) {
                return m * p;
            }
        }
        return 10 * p;
    }

    private static String label(double v) {
        return v >= 100 || v == Math.rint(v) ? String.format(Locale.ROOT, "%.0f", v) : String.format(Locale.ROOT, "%.2f", v);
    }
}
