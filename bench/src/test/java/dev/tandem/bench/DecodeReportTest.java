package dev.tandem.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

class DecodeReportTest {
    @Test
    void rowsGiveMediansAndTheRatio() {
        List<List<String>> rows = DecodeReport.rows(new double[] {20000, 3000, 22000}, new double[] {13000, 14000, 10000});
        assertEquals(List.of("Tandem, 1 thread", "20,000"), rows.get(0));
        assertEquals("13,000", rows.get(1).get(1));
        assertEquals("**1.54**", rows.get(2).get(1));
    }

    @Test
    void withoutAReferenceOnlyTandem() {
        List<List<String>> rows = DecodeReport.rows(new double[] {1, 2, 3}, null);
        assertEquals(1, rows.size());
        assertEquals("2", rows.get(0).get(1));
    }
}
