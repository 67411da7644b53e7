package dev.tandem.core.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.tandem.core.DType;
import dev.tandem.core.Tensor;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The F16 widening in registers ({@link BlockLoads#halvesDownScaled} against x·2^112) and the check that guards it. */
class F16WideningTest {
    private static final ValueLayout.OfShort HALF = BlockLoads.I16;

    @Test
    void everyFiniteHalfWidensToItsExactFloatTimes2ToTheMinus112() {
        assumeTrue(BlockLoads.VECTOR_BLOCKS, "needs 256-bit vectors or wider");
        int lanes = VectorMath.L;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment all = arena.allocate(2L * 65536, 64);
            for (int h = 0; h < 65536; h++) {
                all.setAtIndex(HALF, h, (short) h);
            }
            float[] out = new float[lanes];
            int finite = 0;
            for (int h = 0; h < 65536; h += lanes) {
                BlockLoads.halvesDownScaled(all, 2L * h).intoArray(out, 0);
                for (int i = 0; i < lanes; i++) {
                    short half = (short) (h + i);
                    if ((half & 0x7C00) != 0x7C00) {
                        finite++;
                        // times 2^112 in double, exact: the half's value, sign of zero included
                        assertEquals(Double.doubleToRawLongBits(Float.float16ToFloat(half)), Double.doubleToRawLongBits(out[i] * 0x1p112),
                                "half 0x" + Integer.toHexString(h + i));
                    }
                }
            }
            assertEquals(65536 - 2 * 1024, finite, "every half but the infinities and NaNs was checked");
        }
    }

    @Test
    void anInfinityOrNaNAnywhereIsFound() {
        try (Arena arena = Arena.ofConfined()) {
            int n = 16 * 9 + 5; // whole vectors and a tail at every width
            MemorySegment w = arena.allocate(2L * n, 64);
            SplittableRandom rnd = new SplittableRandom(3);
            for (int i = 0; i < n; i++) {
                w.setAtIndex(HALF, i, Float.floatToFloat16((float) rnd.nextGaussian()));
            }
            assertTrue(FiniteHalves.allFinite(w));
            for (short special : new short[] {(short) 0x7C00, (short) 0xFC00, (short) 0x7E00, (short) 0xFD01}) {
                for (int at : new int[] {0, 7, 16 * 5 + 3, n - 1}) {
                    short kept = w.getAtIndex(HALF, at);
                    w.setAtIndex(HALF, at, special);
                    assertFalse(FiniteHalves.allFinite(w), "0x" + Integer.toHexString(special & 0xFFFF) + " at " + at);
                    w.setAtIndex(HALF, at, kept);
                }
            }
            // the largest finite halves and subnormals are finite
            w.setAtIndex(HALF, 1, (short) 0x7BFF);
            w.setAtIndex(HALF, 2, (short) 0x8001);
            assertTrue(FiniteHalves.allFinite(w));
        }
    }

    @Test
    void bothWideningsGiveTheSameMatmulBitForBit() {
        assumeTrue(BlockLoads.VECTOR_BLOCKS, "needs 256-bit vectors or wider");
        SplittableRandom rnd = new SplittableRandom(5);
        int n = 3 * VectorMath.L * 8, d = 22; // d not a multiple of 4: the tails run too
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment w = arena.allocate(2L * n * d, 64);
            for (int i = 0; i < n * d; i++) {
                float v = (float) (rnd.nextGaussian() * 0.02);
                w.setAtIndex(HALF, i, Float.floatToFloat16(i % 97 == 0 ? v * 1e-3f : v)); // some subnormals
            }
            WeightKernels convert = WeightKernels.of(DType.F16), multiply = F16Kernels.multiplying();
            // x as it comes; with subnormals and values just under 2^16 (x scaled by 2^112 stays exact and finite);
            // with one value of 2^16 (the scaling would overflow: the product per weight instead)
            for (float extreme : new float[] {0f, 0x1.fffffep15f, 0x1p16f}) {
                for (int rows : new int[] {1, 2, 3, 4, 5, 9}) {
                    float[] x = new float[rows * n];
                    for (int i = 0; i < x.length; i++) {
                        x[i] = (float) rnd.nextGaussian();
                    }
                    if (extreme != 0) {
                        x[x.length / 2] = -extreme;
                        x[1] = 1e-42f;
                        x[x.length - 1] = 0x1p-126f;
                    }
                    assertEquals(extreme < 0x1p16f, F16Kernels.scaledUp(x, x.length) != null, "which path " + extreme + " takes");
                    float[] a = new float[rows * d], b = new float[rows * d];
                    convert.range(a, x, rows, w, n, d, 0, d);
                    multiply.range(b, x, rows, w, n, d, 0, d);
                    for (int i = 0; i < a.length; i++) {
                        assertEquals(Float.floatToRawIntBits(a[i]), Float.floatToRawIntBits(b[i]),
                                rows + " rows, largest |x| " + extreme + ", output " + i);
                    }
                }
            }
            assertEquals(null, F16Kernels.scaledUp(new float[] {1f, Float.NaN}, 2), "a NaN in x keeps the product per weight");
        }
    }

    @Test
    void weightsWithAnInfinityKeepTheExactWidening() throws Exception {
        try (Arena arena = Arena.ofShared(); CpuBackend cpu = new CpuBackend(1)) { // shared: the check reads it on its own thread
            int n = 4 * VectorMath.L, d = 4;
            MemorySegment w = arena.allocate(2L * n * d, 64);
            for (int i = 0; i < n * d; i++) {
                w.setAtIndex(HALF, i, Float.floatToFloat16(0.5f));
            }
            w.setAtIndex(HALF, n + 3, (short) 0x7C00); // +infinity in row 1
            Tensor weights = Tensor.of(w, DType.F16, d, n);
            assertFalse(FiniteHalves.widenByMultiplying(weights), "not before its check has ended");
            FiniteHalves.awaitChecks();
            assertFalse(FiniteHalves.widenByMultiplying(weights), "not with an infinity");
            float[] x = new float[n];
            java.util.Arrays.fill(x, 1f);
            Tensor out = cpu.allocate(1, d);
            cpu.matmul(out, Tensor.wrap(x, 1, n), weights, 1);
            assertEquals(0.5f * n, out.get(0, 0));
            assertEquals(Float.POSITIVE_INFINITY, out.get(0, 1));
            w.setAtIndex(HALF, n + 3, Float.floatToFloat16(0.5f));
            Tensor finite = Tensor.of(w, DType.F16, d, n);
            FiniteHalves.widenByMultiplying(finite);
            FiniteHalves.awaitChecks();
            assertEquals(FiniteHalves.MULTIPLY, FiniteHalves.widenByMultiplying(finite), "finite halves, once checked, where this CPU multiplies");
        }
        try (Arena confined = Arena.ofConfined()) {
            Tensor unreadable = Tensor.of(confined.allocate(2L * 64, 64), DType.F16, 1, 64);
            FiniteHalves.widenByMultiplying(unreadable);
            FiniteHalves.awaitChecks();
            assertFalse(FiniteHalves.widenByMultiplying(unreadable), "a segment the checking thread cannot read keeps the exact widening");
        }
    }
}
