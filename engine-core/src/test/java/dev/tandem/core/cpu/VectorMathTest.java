package dev.tandem.core.cpu;

import static dev.tandem.core.cpu.VectorMath.F;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;

class VectorMathTest {
    /** The butterfly order: lanes i and i + L/2 first, then i + L/4, ... down to neighbours. */
    static float butterfly(float[] lanes) {
        float[] v = lanes.clone();
        for (int step = v.length / 2; step >= 1; step /= 2) {
            for (int i = 0; i < step; i++) {
                v[i] = v[i] + v[i + step];
            }
        }
        return v[0];
    }

    /** Fails unless {@code actual} has the butterfly's bits (a loop of assertEquals boxes and slows 10^5 checks). */
    static void sameBits(float expected, float actual, String what) {
        if (Float.floatToRawIntBits(expected) != Float.floatToRawIntBits(actual)) {
            throw new AssertionError(what + " " + actual + " != butterfly sum " + expected);
        }
    }

    /** Values over seven decades and both signs, so that a sum in another order gives other bits. */
    static void randomLanes(float[] lanes, int count, SplittableRandom rnd) {
        for (int i = 0; i < count; i++) {
            lanes[i] = (float) (rnd.nextDouble(-1, 1) * Math.pow(10, rnd.nextInt(-3, 4)));
        }
    }

    /**
     * Batch invariance rests on lane sums having one fixed order whether the code runs interpreted or
     * compiled: enough iterations that the loop starts interpreted and ends in C2, each compared bitwise
     * with the scalar butterfly. ({@code reduceLanes(ADD)} fails this: C2 reorders it.)
     */
    @Test
    void laneSumHasOneOrderInEveryTier() {
        SplittableRandom rnd = new SplittableRandom(1);
        float[] lanes = new float[F.length()];
        for (int iter = 0; iter < 300_000; iter++) {
            randomLanes(lanes, lanes.length, rnd);
            float expected = butterfly(lanes);
            float actual = VectorMath.sum(FloatVector.fromArray(F, lanes, 0));
            sameBits(expected, actual, "iteration " + iter + ": lane sum");
        }
    }

    /**
     * The tiles' transposed lane sums must give each accumulator the butterfly's bits, for every count a tile uses
     * (1 to 20, odd counts pairing a last vector with itself), interpreted and compiled (on machines whose vectors
     * are not 16 lanes wide, the stored-lane fallback); so must one-accumulator kernels' stored-lane sum, or k-row
     * results would differ from one row's.
     */
    @Test
    void laneSumsOfManyAccumulatorsEqualTheButterflyBitwise() {
        SplittableRandom rnd = new SplittableRandom(4);
        int l = F.length();
        float[] lanes = new float[20 * l];
        float[] expected = new float[20];
        for (int iter = 0; iter < 60_000; iter++) {
            int count = 1 + rnd.nextInt(20);
            randomLanes(lanes, count * l, rnd);
            for (int a = 0; a < count; a++) {
                expected[a] = butterfly(java.util.Arrays.copyOfRange(lanes, a * l, (a + 1) * l));
            }
            int base = l * rnd.nextInt(count); // the one-accumulator kernels' stored-lane sum, on a copy
            sameBits(expected[base / l], VectorMath.sumStored(java.util.Arrays.copyOf(lanes, count * l), base),
                    "iteration " + iter + ": stored-lane sum");
            VectorMath.laneSums(lanes, count);
            for (int a = 0; a < count; a++) {
                sameBits(expected[a], lanes[a], "iteration " + iter + ", " + count + " accumulators: sum " + a);
            }
        }
    }

    @Test
    void expIsAccurateAndVectorEqualsScalarTwin() {
        float[] xs = new float[F.length() * 4096];
        SplittableRandom rnd = new SplittableRandom(2);
        for (int i = 0; i < xs.length; i++) {
            xs[i] = (float) rnd.nextDouble(-100, 90);
        }
        xs[0] = 0f;
        xs[1] = -1000f;
        for (int i = 0; i < xs.length; i += F.length()) {
            float[] v = new float[F.length()];
            VectorMath.exp(FloatVector.fromArray(F, xs, i)).intoArray(v, 0);
            for (int l = 0; l < v.length; l++) {
                float x = xs[i + l];
                float scalar = VectorMath.exp(x);
                assertEquals(Float.floatToRawIntBits(scalar), Float.floatToRawIntBits(v[l]), "x = " + x);
                double exact = Math.exp(x);
                if (x > -87f && x < 88f) {
                    assertTrue(Math.abs(scalar - exact) <= 4e-7 * exact, "exp(" + x + ") = " + scalar + " vs " + exact);
                } else if (x <= -87.3f) {
                    assertTrue(scalar < 2e-38f, "exp(" + x + ") underflows to ~0");
                }
            }
        }
        assertEquals(1f, VectorMath.exp(0f));
    }

    @Test
    void softmaxSumsToOneAndMatchesDefinition() {
        for (int n : new int[] {1, 5, 16, 17, 100}) {
            float[] x = new float[n + 3];
            double[] expected = new double[n];
            double z = 0;
            for (int i = 0; i < n; i++) {
                x[i + 3] = (float) Math.sin(i * 1.7) * 4;
                expected[i] = Math.exp(x[i + 3]);
                z += expected[i];
            }
            Softmax.inPlace(x, 3, n);
            double sum = 0;
            for (int i = 0; i < n; i++) {
                assertEquals(expected[i] / z, x[i + 3], 1e-6);
                sum += x[i + 3];
            }
            assertEquals(1.0, sum, 1e-5);
            assertEquals(0f, x[0] + x[1] + x[2], "nothing outside the slice is touched");
        }
    }
}
