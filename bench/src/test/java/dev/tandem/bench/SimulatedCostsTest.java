package dev.tandem.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tandem.core.Backend;
import dev.tandem.core.TandemException;
import dev.tandem.core.cpu.CpuBackend;
import dev.tandem.decoding.DecodingClock;
import dev.tandem.models.Batch;
import dev.tandem.models.Model;
import dev.tandem.models.ModelLoader;
import dev.tandem.models.Transformer;
import java.util.List;
import org.junit.jupiter.api.Test;

class SimulatedCostsTest {
    @Test
    void passCostsAreInterpolatedBetweenTheGivenRowCountsAndExtendedBeyondTheLast() {
        SimulatedCosts c = new SimulatedCosts("1:20, 2:30,4:40");
        assertEquals(20, c.passMillis(1), 1e-9);
        assertEquals(35, c.passMillis(3), 1e-9);
        assertEquals(40, c.passMillis(4), 1e-9);
        assertEquals(60, c.passMillis(8), 1e-9); // 5 ms a row, the slope from 2 to 4 rows
        assertEquals(200, new SimulatedCosts("1:25").passMillis(8), 1e-9); // one figure: proportional to the rows
    }

    @Test
    void verifyCostsReportIsReadWithItsMostThreads(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        VerifyCostReport.write(dir, "m", 128, new int[] {1, 2, 4}, new int[] {1, 2},
                List.of(new double[] {30e6, 50e6, 80e6}, new double[] {20e6, 30e6, 40e6})); // ns per pass
        SimulatedCosts c = new SimulatedCosts(dir.resolve("verify-cost.csv").toString());
        assertEquals(20, c.passMillis(1), 1e-9);
        assertEquals(35, c.passMillis(3), 1e-9);
        java.nio.file.Files.writeString(dir.resolve("other.csv"), "a,b\n1,2\n");
        assertThrows(TandemException.class, () -> new SimulatedCosts(dir.resolve("other.csv").toString()));
    }

    @Test
    void aMalformedSpecificationIsRefusedByName() {
        for (String bad : List.of("2:30", "1:0", "1:abc", "1-20", "0:5,1:20")) {
            TandemException e = assertThrows(TandemException.class, () -> new SimulatedCosts(bad));
            assertTrue(e.getMessage().contains("--simulate-costs"), e.getMessage());
        }
    }

    /**
     * A pass through all the model's layers is charged a whole pass of its rows (its classifier ends it); one through
     * the first K layers, as a draft model made of them, K / the simulated model's layers of one; and the decoding
     * clock reads the charges.
     */
    @Test
    void aPassIsChargedByItsRowsAndADraftOfTheFirstLayersByItsShareOfTheSimulatedLayers() throws Exception {
        SimulatedCosts costs = new SimulatedCosts("1:20,2:30,4:40");
        try (Model model = ModelLoader.load(MainTest.STORIES, 0); CpuBackend cpu = new CpuBackend(1)) {
            Backend charged = costs.charging(cpu, model.config().layers(), model.config().vocabSize(), 22);
            Transformer full = new Transformer(model, charged);
            full.forward(Batch.chain(new int[] {1, 2, 3}));
            assertEquals(35e6, costs.chargedNanos(), 1);
            assertEquals(costs.chargedNanos(), DecodingClock.nanoTime());
            Transformer draft = new Transformer(model, charged, 8, 2);
            draft.forward(Batch.chain(new int[] {1}));
            assertEquals(35e6 + 20e6 * 2 / 22, costs.chargedNanos(), 1);
        } finally {
            DecodingClock.reset();
        }
    }

    /**
     * Plain decoding is charged one one-row pass a token (and its prompt), so its tokens/s are the simulated model's;
     * and a method's figures do not depend on this machine's noise: two runs print the same table.
     */
    @Test
    void methodsRunAtTheSimulatedModelsSpeedAndTheSameRunGivesTheSameFigures() {
        String[] args = {"methods", "--model", MainTest.STORIES.toString(), "--methods", "ar,lookup", "--tokens", "20",
                "--rounds", "2", "--temperatures", "0", "--threads", "1", "--simulate-costs", "1:10,2:12,4:16"};
        MainTest.Run first = MainTest.runPrintingTable(args);
        assertEquals(0, first.code(), first.err() + first.out());
        String ar = first.out().lines().filter(l -> l.startsWith("| ar |")).findFirst().orElseThrow();
        String[] cols = ar.split("\\|");
        double tps = Double.parseDouble(cols[cols.length - 2].trim());
        // 100 ms a token at most; the prompts' prefill (up to ~15 rows, extrapolated at 2 ms a row) costs the rest
        assertTrue(tps > 70 && tps <= 100, ar);
        assertTrue(first.out().contains("simulated: every pass charged"), first.out());
        MainTest.Run second = MainTest.runPrintingTable(args);
        assertEquals(table(first.out()), table(second.out()));
    }

    @Test
    void simulatedLayersAreRefusedWithoutCostsOrFewerThanTheModelHas() {
        MainTest.Run alone = MainTest.runPrintingTable("methods", "--model", MainTest.STORIES.toString(), "--simulate-layers", "22");
        assertTrue(alone.code() != 0 && alone.err().contains("--simulate-layers applies with --simulate-costs"), alone.err());
        MainTest.Run few = MainTest.runPrintingTable("methods", "--model", MainTest.STORIES.toString(), "--methods", "ar",
                "--simulate-costs", "1:10", "--simulate-layers", "2");
        assertTrue(few.code() != 0 && few.err().contains("at least this model's 5 layers"), few.err());
    }

    private static List<String> table(String out) {
        return out.lines().filter(l -> l.startsWith("| ")).toList();
    }
}
