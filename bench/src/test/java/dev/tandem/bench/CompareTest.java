package dev.tandem.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class CompareTest {
    @Test
    void aRealFivePercentLossSeenInMostPairsIsFlagged() {
        CompareStats.Row r = CompareStats.row("ar", List.of(100.0, 101.0, 99.0, 100.0, 102.0), List.of(90.0, 92.0, 91.0, 105.0, 93.0), true);
        assertTrue(r.ratio() < 0.95, "median ratio " + r.ratio());
        assertTrue(r.slower());
        assertFalse(r.faster());
    }

    @Test
    void oneNoisyPairDoesNotRaiseTheFlag() {
        CompareStats.Row r = CompareStats.row("ar", List.of(100.0, 100.0, 100.0, 100.0, 100.0), List.of(50.0, 99.0, 101.0, 100.0, 98.0), true);
        assertFalse(r.slower(), "median " + r.ratio());
    }

    @Test
    void timesAreTurnedIntoSpeedRatios() {
        // HEAD takes half the time: twice as fast
        CompareStats.Row r = CompareStats.row("verify", List.of(10.0, 10.0, 10.0), List.of(5.0, 5.0, 5.0), false);
        assertEquals(2.0, r.ratio(), 1e-12);
        assertTrue(r.faster());
        // and a slower time is flagged
        assertTrue(CompareStats.row("verify", List.of(10.0, 10.0, 10.0), List.of(12.0, 12.0, 12.0), false).slower());
    }

    @Test
    void aFigureMissingOnOneSideIsReportedNotCompared() {
        CompareStats.Row r = CompareStats.row("new bench", List.of(), List.of(3.0, 4.0), true);
        assertEquals(0, r.pairs());
        assertFalse(r.slower());
        assertTrue(CompareStats.table(List.of(r)).contains("n/a"));
    }

    @Test
    void quantilesInterpolate() {
        assertEquals(2.5, CompareStats.quantile(List.of(1.0, 2.0, 3.0, 4.0), 0.5), 1e-12);
        assertEquals(1.75, CompareStats.quantile(List.of(1.0, 2.0, 3.0, 4.0), 0.25), 1e-12);
    }

    @Test
    void parsersReadTheHarnessTables() {
        String ar = "AR greedy decode, stories260K\n| threads | tokens/s (median) | min | max | weight GB/s |\n|---:|---:|---:|---:|---:|\n"
                + "| 1 | 21370.50 | 8675.00 | 24514.00 | 22.1 |\n| 2 | 15000.00 | 1.00 | 2.00 | 3.0 |\n";
        assertEquals(21370.5, CompareParsers.arTokensPerSecond(1).parse(ar).get("").value(), 1e-9);
        assertEquals(15000.0, CompareParsers.arTokensPerSecond(2).parse(ar).get("").value(), 1e-9);
        assertTrue(CompareParsers.arTokensPerSecond(4).parse(ar).isEmpty());

        String verify = "| rows k | µs per forward | cost / 1 row |\n|---:|---:|---:|\n| 1 | 33000.0 | 1.00 |\n| 4 | 80000.0 | 2.42 |\n| 16 | 250000.0 | 7.58 |\n";
        Map<String, CompareParsers.Figure> v = CompareParsers.verifyCost(4, 16).parse(verify);
        assertEquals(80000.0, v.get("k=4 µs").value(), 1e-9);
        assertEquals(7.58, v.get("k=16 cost/1 row").value(), 1e-9);
        assertFalse(v.get("k=4 µs").higherIsBetter());

        String matmul = "| weights | ms per matmul | GB/s | of triad | of read |\n|---|---:|---:|---:|---:|\n| F32 | 20.00 | 13.4 | 80% | 70% |\n| Q8_0 | 8.00 | 9.1 | 50% | 45% |\n";
        Map<String, CompareParsers.Figure> m = CompareParsers.matmulGbPerSecond().parse(matmul);
        assertEquals(List.of("F32", "Q8_0"), List.copyOf(m.keySet()));
        assertEquals(9.1, m.get("Q8_0").value(), 1e-9);

        String methods = "temperature 0.0\n| method | mean accepted length | target forwards / token | draft forwards / token | gate parallel / AR steps | tokens/s | speedup vs ar |\n"
                + "|---|---:|---:|---:|---:|---:|---:|\n| ar | 1.00 | 1.000 | 0.000 | - | 9800 | 1.00 |\n| lookup | 1.50 | 0.660 | 0.000 | - | 12000 | 1.22 |\n";
        Map<String, CompareParsers.Figure> t = CompareParsers.methodsTokensPerSecond().parse(methods);
        assertEquals(12000.0, t.get("lookup T=0.0").value(), 1e-9);
        assertEquals(2, t.size());
        String configured = methods + "| lookup (tree of 4) | 1.40 | 0.700 | 0.000 | - | 11000 | 1.12 |\n"
                + "| ngram (sized trees) | 2.00 | 0.500 | 0.000 | - | 15000 | 1.53 |\n";
        Map<String, CompareParsers.Figure> speedup = CompareParsers.methodsSpeedup().parse(configured);
        assertEquals(List.of("lookup T=0.0", "lookup (tree of 4) T=0.0", "ngram T=0.0"), List.copyOf(speedup.keySet()),
                "ar's own 1.00 left out; a configuration in brackets dropped from the key unless another row took it");
        assertEquals(1.22, speedup.get("lookup T=0.0").value(), 1e-9);
        assertEquals(1.53, speedup.get("ngram T=0.0").value(), 1e-9);
    }

    static CompareOptions parse(String... args) {
        Compare c = new Compare();
        new picocli.CommandLine(c).parseArgs(args);
        return c.options.validated();
    }

    @Test
    void optionsAreCheckedNotGuessed() {
        CompareOptions o = parse("abc123", "--suite", "full", "--rounds", "3");
        assertEquals("abc123", o.base());
        assertEquals(null, o.head());
        assertEquals("full", o.suite());
        assertEquals(3, o.rounds());
        assertEquals("def", parse("abc", "def").head());
        assertThrows(picocli.CommandLine.ParameterException.class, () -> parse("abc", "--sutie", "full"));
        assertThrows(picocli.CommandLine.ParameterException.class, () -> parse("abc", "--suite", "medium"));
        assertThrows(picocli.CommandLine.ParameterException.class, () -> parse());
        assertThrows(picocli.CommandLine.ParameterException.class, () -> parse("a", "b", "c"));
        assertThrows(picocli.CommandLine.ParameterException.class, () -> parse("a", "--rounds", "zero"));
        assertThrows(picocli.CommandLine.ParameterException.class, () -> parse("a", "--rounds", "0"));
        assertEquals(List.of("ar", "matmul"), parse("a", "--only", "ar,matmul").only());
        assertEquals(List.of("drafting"), parse("a", "--only", "drafting").only());
        assertThrows(picocli.CommandLine.ParameterException.class, () -> parse("a", "--only", "ar,speed"));
    }
}
