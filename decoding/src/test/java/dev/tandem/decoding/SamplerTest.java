package dev.tandem.decoding;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tandem.core.TandemException;
import org.junit.jupiter.api.Test;

class SamplerTest {
    private static final float[] LOGITS = {2.0f, 1.0f, 0.5f, 3.0f, -1.0f, 0.0f};

    @Test
    void greedyIsArgmaxFirstOnTies() {
        Sampler s = new Sampler(SamplingParams.GREEDY);
        assertEquals(3, s.sample(LOGITS));
        assertEquals(1, Sampler.argmax(new float[] {0f, 5f, 5f}));
    }

    @Test
    void sameSeedSameTokensDifferentSeedDifferentTokens() {
        int[] a = draws(new SamplingParams(1f, 0, 1f, 0f, 7), 200);
        int[] b = draws(new SamplingParams(1f, 0, 1f, 0f, 7), 200);
        int[] c = draws(new SamplingParams(1f, 0, 1f, 0f, 8), 200);
        assertArrayEquals(a, b);
        assertTrue(!java.util.Arrays.equals(a, c), "a different seed gives a different stream");
    }

    private static int[] draws(SamplingParams p, int n) {
        Sampler s = new Sampler(p);
        int[] out = new int[n];
        for (int i = 0; i < n; i++) {
            out[i] = s.sample(LOGITS);
        }
        return out;
    }

    @Test
    void distributionMatchesSoftmaxWithTemperature() {
        float[] p = new Sampler(new SamplingParams(2f, 0, 1f, 0f, 0)).distribution(LOGITS);
        double z = 0;
        for (float l : LOGITS) {
            z += Math.exp(l / 2.0);
        }
        for (int i = 0; i < LOGITS.length; i++) {
            assertEquals(Math.exp(LOGITS[i] / 2.0) / z, p[i], 1e-6);
        }
    }

    @Test
    void topKKeepsExactlyKMostLikely() {
        float[] p = new Sampler(new SamplingParams(1f, 2, 1f, 0f, 0)).distribution(LOGITS);
        assertTrue(p[3] > 0 && p[0] > 0);
        assertEquals(0f, p[1] + p[2] + p[4] + p[5]);
        assertEquals(1.0, p[3] + p[0], 1e-6);
        assertEquals(Math.exp(3) / (Math.exp(3) + Math.exp(2)), p[3], 1e-6);
    }

    @Test
    void topPKeepsSmallestSetReachingMass() {
        // probabilities of LOGITS at T=1: token 3 ~0.61, token 0 ~0.22, then smaller
        float[] p = new Sampler(new SamplingParams(1f, 0, 0.8f, 0f, 0)).distribution(LOGITS);
        assertTrue(p[3] > 0 && p[0] > 0);
        assertEquals(0f, p[1] + p[2] + p[4] + p[5], "0.61 + 0.22 >= 0.8 so two tokens suffice");
        float[] q = new Sampler(new SamplingParams(1f, 0, 0.5f, 0f, 0)).distribution(LOGITS);
        assertEquals(1f, q[3], 1e-6f);
    }

    @Test
    void minPDropsTokensBelowFractionOfTop() {
        float[] p = new Sampler(new SamplingParams(1f, 0, 1f, 0.3f, 0)).distribution(LOGITS);
        // p(0)/p(3) = e^-1 = 0.37 kept; p(1)/p(3) = e^-2 = 0.135 dropped
        assertTrue(p[0] > 0);
        assertEquals(0f, p[1] + p[2] + p[4] + p[5]);
    }

    @Test
    void samplingFollowsDistribution() {
        Sampler s = new Sampler(new SamplingParams(1f, 0, 1f, 0f, 42));
        float[] p = s.distribution(LOGITS);
        int n = 60_000;
        int[] counts = new int[LOGITS.length];
        for (int i = 0; i < n; i++) {
            counts[s.sample(LOGITS)]++;
        }
        for (int i = 0; i < p.length; i++) {
            double sd = Math.sqrt(n * p[i] * (1 - p[i]));
            assertEquals(n * p[i], counts[i], 5 * sd + 1, "token " + i);
        }
    }

    @Test
    void invalidSettingsAreRefused() {
        assertThrows(TandemException.class, () -> new SamplingParams(-1f, 0, 1f, 0f, 0));
        assertThrows(TandemException.class, () -> new SamplingParams(1f, -1, 1f, 0f, 0));
        assertThrows(TandemException.class, () -> new SamplingParams(1f, 0, 0f, 0f, 0));
        assertThrows(TandemException.class, () -> new SamplingParams(1f, 0, 1.5f, 0f, 0));
        assertThrows(TandemException.class, () -> new SamplingParams(1f, 0, 1f, 1f, 0));
        assertThrows(TandemException.class, () -> new SamplingParams(Float.NaN, 0, 1f, 0f, 0));
    }
}
