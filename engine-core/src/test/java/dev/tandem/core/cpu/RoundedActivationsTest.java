package dev.tandem.core.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;

import dev.tandem.core.DType;
import dev.tandem.core.Quantization;
import dev.tandem.core.Tensor;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** x rounded once and kept: reused only for the same bits, shape and layout, and never changing a result. */
class RoundedActivationsTest {
    private static float[] random(long seed, int n) {
        SplittableRandom rnd = new SplittableRandom(seed);
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) (rnd.nextDouble() * 2 - 1);
        }
        return v;
    }

    @Test
    void theSameBitsAreRoundedOncePerLayout() {
        RoundedActivations kept = new RoundedActivations();
        float[] x = random(1, 512);
        Q8Activations first = kept.of(Q8Activations.Layout.Q4_K, x, 1, 512);
        assertSame(first, kept.of(Q8Activations.Layout.Q4_K, x.clone(), 1, 512), "equal bits in another buffer");
        Q8Activations q6 = kept.of(Q8Activations.Layout.Q6_K, x, 1, 512);
        assertNotSame(first, q6, "another layout");
        assertSame(first, kept.of(Q8Activations.Layout.Q4_K, x, 1, 512), "each layout keeps its own");
        assertNotSame(first, kept.of(Q8Activations.Layout.Q4_K, x, 2, 256), "the same values as two rows");
    }

    @Test
    void anyChangedBitRoundsAgain() {
        RoundedActivations kept = new RoundedActivations();
        float[] x = random(2, 512);
        Q8Activations first = kept.of(Q8Activations.Layout.Q4_0, x, 1, 512);
        x[300] = Math.nextUp(x[300]);
        Q8Activations second = kept.of(Q8Activations.Layout.Q4_0, x, 1, 512);
        assertNotSame(first, second);
        assertArrayEquals(new Q8Activations(x, 1, 512, Q8Activations.Layout.Q4_0).q, second.q);
        x[7] = Float.intBitsToFloat(0x7fc00001); // a NaN
        Q8Activations nan = kept.of(Q8Activations.Layout.Q4_0, x, 1, 512);
        x[7] = Float.intBitsToFloat(0x7fc00002); // another NaN: equal to Arrays.equals, not bitwise
        assertNotSame(nan, kept.of(Q8Activations.Layout.Q4_0, x, 1, 512));
        x[7] = -0f;
        Q8Activations negativeZero = kept.of(Q8Activations.Layout.Q4_0, x, 1, 512);
        x[7] = 0f;
        assertNotSame(negativeZero, kept.of(Q8Activations.Layout.Q4_0, x, 1, 512));
    }

    @Test
    void anXPastTheLimitIsNotKept() {
        RoundedActivations kept = new RoundedActivations();
        int n = 2048, rows = RoundedActivations.MAX_KEPT / n + 1;
        float[] x = random(3, rows * n);
        assertNotSame(kept.of(Q8Activations.Layout.Q4_K, x, rows, n), kept.of(Q8Activations.Layout.Q4_K, x, rows, n));
    }

    /** A backend's matmuls over x changed in place between them (as the forward pass's buffers are) give a fresh backend's results. */
    @Test
    void matmulsOverABufferChangedInPlaceMatchAFreshBackend() {
        int n = 512, d = 8;
        try (Arena arena = Arena.ofShared(); CpuBackend cpu = new CpuBackend(2, CpuBackend.Activations.INT8)) {
            float[] wv = random(4, d * n);
            MemorySegment seg = arena.allocate(DType.Q4_K.byteSize((long) d * n), 64);
            for (int j = 0; j < d; j++) {
                Quantization.encode(DType.Q4_K, wv, j * n, n, seg, DType.Q4_K.byteSize((long) j * n));
            }
            Tensor w = Tensor.of(seg, DType.Q4_K, d, n);
            float[] x = random(5, n);
            Tensor xt = Tensor.wrap(x, 1, n), out = cpu.allocate(1, d);
            for (int step = 0; step < 3; step++) {
                cpu.matmul(out, xt, w, 1);
                cpu.matmul(out, xt, w, 1); // kept
                try (CpuBackend fresh = new CpuBackend(1, CpuBackend.Activations.INT8)) {
                    Tensor expected = fresh.allocate(1, d);
                    fresh.matmul(expected, Tensor.wrap(x.clone(), 1, n), w, 1);
                    assertArrayEquals(expected.row(0), out.row(0), 0f, "step " + step);
                }
                x[step * 100] += 0.5f; // the buffer changes in place
            }
        }
    }
}
