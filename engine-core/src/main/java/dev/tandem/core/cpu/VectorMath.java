package dev.tandem.core.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * Shared Vector API pieces, written so that results never depend on the compilation tier: lane sums
 * use a fixed butterfly of lane-wise adds (the order of {@code reduceLanes} is unspecified and differs
 * between interpreted and compiled code), and {@code exp} is our own polynomial of lane-wise IEEE ops
 * (SVML's {@code EXP} intrinsic and its scalar fallback round differently). Each vector routine has a
 * scalar twin doing the same operations, for loop tails.
 */
final class VectorMath {
    static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    static final int L = F.length();

    // exp(x) = 2^n * e^r with n = round(x / ln 2), |r| <= ln(2)/2, e^r by its degree-6 Taylor polynomial
    // (relative error < 2e-7, about one float ulp).
    private static final float LOG2E = 1.44269504088896341f;
    private static final float LN2_HI = 0.693359375f;
    private static final float LN2_LO = -2.12194440e-4f;
    private static final float ROUND = 0x1.8p23f; // adding it rounds to an integer held in the low mantissa bits
    private static final float EXP_MIN = -87.3f;
    private static final float EXP_MAX = 88.7f;
    private static final float C6 = 1f / 720, C5 = 1f / 120, C4 = 1f / 24, C3 = 1f / 6, C2 = 0.5f;

    private VectorMath() {}

    // BUTTERFLY[k] pairs lane i with lane i ^ (L >> (k + 1))
    @SuppressWarnings("unchecked")
    private static final VectorShuffle<Float>[] BUTTERFLY = new VectorShuffle[Integer.numberOfTrailingZeros(L)];

    static {
        for (int s = L / 2, k = 0; s >= 1; s /= 2, k++) {
            int step = s;
            BUTTERFLY[k] = VectorShuffle.fromOp(F, i -> i ^ step);
        }
    }

    /**
     * Sum of all lanes in a fixed order: lane i adds lane i + L/2, then i + L/4, ..., down to
     * neighbours; the result is lane 0.
     *
     * <p>Measured on an AMD EPYC (Zen 5, AVX-512), stories260K decode, against the alternatives: storing the
     * lanes to an array and adding them as scalars ran decoding 2.4x slower (the regression of 3f733a6);
     * constant shuffles, one per step, ran 0.55-0.9x this loop depending on how they were split into methods.
     *
     * <p>This loop and {@link #sum4} are over C2's always-inline size (35 bytecodes). A lane-sum helper
     * that C2 compiles on its own gets its vectors boxed, and that JVM decodes 3-8x slower for its whole
     * life (3 launches in 8, a tier-4 {@code sum4} of its own). So every lane-sum helper is named
     * {@code sum*} and lives here, and the launcher passes
     * {@code -XX:CompileCommand=inline,dev.tandem.core.cpu.VectorMath::sum*}; a host that embeds the
     * engine should pass it too (docs/PERFORMANCE.md).
     */
    static float sum(FloatVector v) {
        for (VectorShuffle<Float> shuffle : BUTTERFLY) {
            v = v.add(v.rearrange(shuffle));
        }
        return v.lane(0);
    }

    /**
     * The lane sum of an accumulator already stored at {@code lanes[base, base + L)}, in {@link #sum}'s order
     * (bitwise the same result); the lanes are overwritten. For kernels with many accumulators (the 4x4
     * k-row kernel has 16): C2 stops inlining into a method once its node count passes a cut-off, and
     * sixteen inlined shuffle butterflies pass it, leaving {@link #sum4} compiled on its own with its vectors
     * boxed (Q8_0 verification of 4 rows on TinyLlama-1.1B ran 2.5x slower). Stores and scalar adds cost
     * few nodes, but each level waits on the store before it: a tile's sixteen or twenty such sums cost a sixth
     * of its time over 2048 columns, so tiles call {@link #laneSums}; this stays for one-accumulator kernels and
     * for vectors other than 16 lanes wide.
     */
    static float sumStored(float[] lanes, int base) {
        int s = L / 2;
        // the first steps add the upper half onto the lower half, which narrower vectors do lane-wise (the same
        // pairs, so the same result): JFR put a tenth of a 16-row verification in the scalar form of these steps
        if (s == 8) {
            FloatVector.fromArray(F8, lanes, base).add(FloatVector.fromArray(F8, lanes, base + 8)).intoArray(lanes, base);
            s = 4;
        }
        if (s == 4) {
            FloatVector.fromArray(F4, lanes, base).add(FloatVector.fromArray(F4, lanes, base + 4)).intoArray(lanes, base);
            s = 2;
        }
        for (; s > 0; s >>= 1) {
            for (int i = base; i < base + s; i++) {
                lanes[i] += lanes[i + s];
            }
        }
        return lanes[base];
    }

    // Level k of the transposed butterfly (s = 8 >> k): lane i of the result adds lanes LOW[k][i] and HIGH[k][i] of
    // two vectors (0-15 the first, 16-31 the second), each holding 16 / (2s) accumulators' 2s lanes side by side.
    private static final float[] LOW = new float[64], HIGH = new float[64];

    static {
        for (int k = 0, s = 8; s >= 1; k++, s >>= 1) {
            for (int i = 0; i < 16; i++) {
                int from = i < 8 ? 0 : 16, g = (i % 8) / s, e = (i % 8) % s;
                LOW[16 * k + i] = from + 2 * s * g + e;
                HIGH[16 * k + i] = from + 2 * s * g + s + e;
            }
        }
    }

    /**
     * The lane sums of {@code count} accumulators stored at {@code lanes[a L ..]}, bitwise {@link #sum}'s, written to
     * {@code lanes[a]}: the tiles' results. With 16 lanes the butterfly runs transposed: each level pairs two
     * vectors, takes the lower and the upper half of every accumulator they hold with two permutes and adds them, so
     * one vector leaves with the next level's lanes of both (15 steps for 16 sums, where {@link #sumStored} stores and
     * reloads each level of each accumulator: a 5-row Q8_0 tile over 2048 columns spent a sixth of its time there).
     * Its vectors live in this method alone and it calls only the JDK's force-inlined vector methods, so nothing is
     * boxed whether or not C2 inlines it into a kernel already at its node cut-off (not a {@code sum*} helper, which
     * the launcher forces inline: PERFORMANCE.md).
     */
    static void laneSums(float[] lanes, int count) {
        if (L != 16) {
            for (int a = 0; a < count; a++) { // lanes[a] lies in accumulator a / L's lanes, already summed
                lanes[a] = sumStored(lanes, a * L);
            }
            return;
        }
        int k = 0, n = count;
        for (; n > 2 && k < 4; k++) { // vectors in pairs through memory while more than two are left
            FloatVector low = FloatVector.fromArray(F, LOW, 16 * k), high = FloatVector.fromArray(F, HIGH, 16 * k);
            int m = (n + 1) / 2;
            for (int v = 0; v < m; v++) { // vector v of the next level overwrites one already read; an odd last pairs with itself
                FloatVector a = FloatVector.fromArray(F, lanes, 32 * v);
                FloatVector b = FloatVector.fromArray(F, lanes, 16 * Math.min(2 * v + 1, n - 1));
                low.selectFrom(a, b).add(high.selectFrom(a, b)).intoArray(lanes, 16 * v);
            }
            n = m;
        }
        if (k < 4) { // the last two (or one, paired with itself) into one vector, its remaining levels in registers
            FloatVector a = FloatVector.fromArray(F, lanes, 0), b = FloatVector.fromArray(F, lanes, 16 * (n - 1));
            for (; k < 4; k++) {
                FloatVector low = FloatVector.fromArray(F, LOW, 16 * k), high = FloatVector.fromArray(F, HIGH, 16 * k);
                a = low.selectFrom(a, b).add(high.selectFrom(a, b));
                b = a;
            }
            a.intoArray(lanes, 0);
        }
    }

    private static final VectorSpecies<Float> F8 = FloatVector.SPECIES_256;
    private static final VectorSpecies<Float> F4 = FloatVector.SPECIES_128;

    /** The sums of four accumulators, stored at {@code out[o]}, {@code out[o + q]}, {@code out[o + 2q]}, {@code out[o + 3q]}. */
    static void sum4(float[] out, int o, int q, FloatVector a0, FloatVector a1, FloatVector a2, FloatVector a3) {
        out[o] = sum(a0);
        out[o + q] = sum(a1);
        out[o + 2 * q] = sum(a2);
        out[o + 3 * q] = sum(a3);
    }

    static FloatVector exp(FloatVector x) {
        x = x.max(EXP_MIN).min(EXP_MAX);
        FloatVector z = x.fma(LOG2E, ROUND);
        FloatVector n = z.sub(ROUND);
        FloatVector r = n.fma(FloatVector.broadcast(F, -LN2_HI), x);
        r = n.fma(FloatVector.broadcast(F, -LN2_LO), r);
        FloatVector p = r.fma(C6, C5);
        p = p.fma(r, FloatVector.broadcast(F, C4));
        p = p.fma(r, FloatVector.broadcast(F, C3));
        p = p.fma(r, FloatVector.broadcast(F, C2));
        p = p.fma(r, FloatVector.broadcast(F, 1f));
        p = p.fma(r, FloatVector.broadcast(F, 1f));
        IntVector bits = z.reinterpretAsInts().lanewise(VectorOperators.LSHL, 23).add(0x3f800000);
        return p.mul(bits.reinterpretAsFloats());
    }

    /** The scalar twin of {@link #exp(FloatVector)}: bitwise the same result for the same input. */
    static float exp(float x) {
        x = Math.min(Math.max(x, EXP_MIN), EXP_MAX);
        float z = Math.fma(x, LOG2E, ROUND);
        float n = z - ROUND;
        float r = Math.fma(n, -LN2_HI, x);
        r = Math.fma(n, -LN2_LO, r);
        float p = Math.fma(r, C6, C5);
        p = Math.fma(p, r, C4);
        p = Math.fma(p, r, C3);
        p = Math.fma(p, r, C2);
        p = Math.fma(p, r, 1f);
        p = Math.fma(p, r, 1f);
        return p * Float.intBitsToFloat((Float.floatToRawIntBits(z) << 23) + 0x3f800000);
    }
}
