package dev.tandem.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tandem.decoding.MethodOptions;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The report files: Markdown and CSV tables that agree, PNG charts that open, and an index that shows them. */
class ReportFilesTest {
    private static BufferedImage png(Path p) throws Exception {
        assertTrue(Files.exists(p), p + " exists");
        BufferedImage img = ImageIO.read(p.toFile());
        assertTrue(img.getWidth() > 300 && img.getHeight() > 100, p + " is a picture");
        return img;
    }

    @Test
    void tablesAreWrittenAsMarkdownAndCsv(@TempDir Path dir) throws Exception {
        Tables.write(dir, "t", "A caption.", List.of("name", "value"), List.of(List.of("a, b", "1.00"), List.of("**c**", "2")));
        String md = Files.readString(dir.resolve("t.md"));
        assertTrue(md.startsWith("A caption.\n\n| name | value |\n|---|---:|\n| a, b | 1.00 |"), md);
        assertEquals("name,value\n\"a, b\",1.00\nc,2\n", Files.readString(dir.resolve("t.csv")));
    }

    private static MethodTable.Totals totals(long tokens, long steps, double[] tps, long rows, long decodeSteps, double decodeSeconds) {
        MethodTable.Totals t = new MethodTable.Totals();
        t.tokens = tokens;
        t.steps = steps;
        t.targetForwards = steps;
        t.tps = tps;
        t.rows = rows;
        t.decodeSteps = decodeSteps;
        t.decodeSeconds = decodeSeconds;
        return t;
    }

    @Test
    void methodReportHasTablesChartsAndAcceptedHistograms(@TempDir Path dir) throws Exception {
        MethodTable.Config ar = new MethodTable.Config("ar", "ar", MethodOptions.defaults());
        MethodTable.Config lookup = new MethodTable.Config("lookup", "lookup", MethodOptions.defaults());
        Map<MethodTable.Config, MethodTable.Totals> totals = new LinkedHashMap<>();
        // 100 tokens each; ar in 100 steps of one row (95 after the prompts, 1 ms each), lookup in 50 of three rows (2 ms)
        MethodTable.Totals a = totals(100, 100, new double[] {1000, 1100, 900}, 95, 95, 0.095);
        MethodTable.Totals l = totals(100, 50, new double[] {500, 600, 550}, 147, 49, 0.098);
        l.acceptedHistogram = new long[] {20, 20, 9};
        totals.put(ar, a);
        totals.put(lookup, l);
        MethodReport.write(dir, "stories260K", 0f, 2, 300, 3, List.of(ar, lookup), totals, 1000);
        assertTrue(Files.readString(dir.resolve("methods-t0.0.md")).contains("| lookup | 2.00 | 3.00 | 2.00 | 0.500 | 0.000 | 550 | 0.55 |"));
        png(dir.resolve("methods-t0.0.png"));
        png(dir.resolve("accepted-t0.0.png"));
        String hist = Files.readString(dir.resolve("accepted-t0.0.csv"));
        assertTrue(hist.contains("lookup,0.408,0.408,0.184,0.000"), hist);
        assertTrue(!hist.contains("\nar,"), "plain decoding has no drafts: " + hist);
    }

    @Test
    void verifyCostAndLoadReportsAndTheIndex(@TempDir Path dir) throws Exception {
        VerifyCostReport.write(dir, "m", 128, new int[] {1, 2, 4}, new int[] {1, 2},
                List.of(new double[] {100, 190, 380}, new double[] {100, 150, 250}));
        assertTrue(Files.readString(dir.resolve("verify-cost.csv")).contains("4,0.4,3.80,0.3,2.50"));
        png(dir.resolve("verify-cost.png"));
        List<LoadGenerator.Outcome> done = List.of(new LoadGenerator.Outcome(true, 10, "x", 0.5, 0.01, null, new double[] {0.01, 0.03}),
                new LoadGenerator.Outcome(true, 10, "x", 1.5, 0.02, null, new double[] {0.02}));
        List<LoadBench.Row> rows = List.of(new LoadBench.Row("on", "ar", 1, done, 100, 1), new LoadBench.Row("on", "ar", 8, done, 250, 3.5),
                new LoadBench.Row("on", "ngram", 1, done, 130, 1), new LoadBench.Row("on", "ngram", 8, done, 200, 3.5));
        LoadReport.write(dir, "load", "m.bin", rows, List.<String[]>of(new String[] {"engine", "100", "1.00", "10000"}), 16, 2, "ngram", 1);
        String load = Files.readString(dir.resolve("load.md"));
        // 8 clients against 1 of the same method, and against ar at 8 clients; inter-token latency over every gap
        assertTrue(load.contains("| on | ar | 8 | 2 | 2 | 0 | 250 | 2.50 | 1.00 | 0.500 | 1.500 | 0.0100 | 0.0200 | 20.00 | 30.00 | 3.50 |"), load);
        assertTrue(load.contains("| on | ngram | 8 | 2 | 2 | 0 | 200 | 1.54 | 0.80 |"), load);
        assertTrue(load.contains("methods ar and ngram in the same rounds"), load);
        png(dir.resolve("load.png"));
        Report.writeIndex(dir);
        String index = Files.readString(dir.resolve("report.md"));
        assertTrue(index.contains("![Verification cost](verify-cost.png)") && index.contains("![Server under load](load.png)")
                && index.contains("## One client, where the time goes") && !index.contains("Decoding methods"), index);
    }
}
