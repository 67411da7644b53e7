package dev.tandem.decoding.speculative;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tandem.decoding.OnStories260k;
import dev.tandem.models.Transformer;
import org.junit.jupiter.api.Test;

/** The verification cost model: calibrated once per model and backend, extrapolated beyond its rows. */
class CostModelTest extends OnStories260k {
    @Test
    void aModelIsCalibratedOnceAndEachGeneratorRefinesItsOwnCopy() {
        Transformer t = new Transformer(model, backend, Transformer.DEFAULT_MAX_BATCH);
        CostModel first = CostModel.calibrateFor(t, 50, 8);
        CostModel second = CostModel.calibrateFor(new Transformer(model, backend, Transformer.DEFAULT_MAX_BATCH), 50, 8);
        for (int rows = 1; rows <= 8; rows++) {
            // timed again, no two tables of a dozen passes would agree to the last bit
            assertEquals(first.seconds(rows), second.seconds(rows), "rows " + rows + " not timed again");
        }
        // the widest pass: no larger row count caps what an observation of it can raise it to
        int wide = CostModel.MAX_ROWS;
        double before = second.seconds(wide);
        for (int i = 0; i < 200; i++) {
            first.observe(wide, 100 * before); // clipped at twice the estimate, so it climbs
        }
        assertTrue(first.seconds(wide) > 1.5 * before, "observations refine a copy: " + first.seconds(wide));
        assertEquals(before, second.seconds(wide), "other copies keep the calibration");
        assertEquals(before, CostModel.calibrateFor(t, 50, 8).seconds(wide), "and so does the next one");
        CostModel otherRows = CostModel.calibrateFor(t, 50, 4);
        assertNotEquals(first.seconds(1), otherRows.seconds(1), "another row count is calibrated on its own");
    }

    @Test
    void widerPassesThanTheTableCostItsLastRowsPerRow() {
        CostModel m = CostModel.linear(1e-3, 1e-4);
        assertEquals(m.seconds(64) * 2, m.seconds(128), 1e-15);
        assertTrue(m.seconds(65) > m.seconds(64));
    }

    @Test
    void aPassNeverCostsMoreThanAWiderOneAsObservationsComeIn() {
        CostModel m = CostModel.linear(0, 1e-3); // k rows: k ms
        assertEquals(4e-3, m.seconds(4), 1e-15);
        boolean followed = false;
        for (int n = 0; n < 40; n++) {
            m.observe(8, 1e-3); // wide passes measured cheap: the estimate for 8 rows sinks step by step
            double eight = m.seconds(8);
            // each observation is seen at once by every smaller count (no stale minimum)
            assertEquals(Math.min(4e-3, eight), m.seconds(4), 0.0, "after " + (n + 1) + " observations");
            followed |= eight < 4e-3;
        }
        assertTrue(followed, "the 8-row estimate fell below the 4-row one: " + m.seconds(8));
        for (int rows = 1; rows < CostModel.MAX_ROWS; rows++) {
            assertTrue(m.seconds(rows) <= m.seconds(rows + 1), "rows " + rows);
        }
        assertEquals(1e-3, m.seconds(1), 1e-15); // below the cheap count, the table's own figure
    }
}
