package dev.tandem.core.cpu;

import java.lang.foreign.MemorySegment;

/**
 * The last x each lane layout rounded to int8 ({@link Q8Activations}), kept so that the matmuls of a layer that
 * take the same x (wq, wk and wv; w1 and w3) round it once: a layer's seven matmuls rounded x seven times, 8% of a
 * Q4_K_M decode step's samples (each of two threads rounding all of it). x's buffers are reused from matmul to
 * matmul, so a hit is decided by x's bits, compared with a copy of them (a vectorized compare, far cheaper than the
 * rounding); the same bits round the same, so results are bitwise what rounding again gives. An x of more than
 * {@link #MAX_KEPT} values (a long prompt's pass) is rounded and not kept, so a thread keeps at most a few MB. One per
 * calling thread: not thread-safe.
 */
final class RoundedActivations {
    /** The most values of x kept (4 MB of floats, and their rounding 2 MB), per layout. */
    static final int MAX_KEPT = 1 << 20;

    private final float[][] copies = new float[Q8Activations.Layout.values().length][];
    private final int[] rows = new int[copies.length], cols = new int[copies.length];
    private final Q8Activations[] rounded = new Q8Activations[copies.length];

    /** x's first {@code rows} rows of n values, rounded for {@code layout}: the kept ones when x's bits are the same. */
    Q8Activations of(Q8Activations.Layout layout, float[] x, int rows, int n) {
        int slot = layout.ordinal(), length = rows * n;
        float[] copy = copies[slot];
        Q8Activations kept = rounded[slot];
        if (kept != null && this.rows[slot] == rows && cols[slot] == n
                && MemorySegment.mismatch(MemorySegment.ofArray(copy), 0, 4L * length, MemorySegment.ofArray(x), 0, 4L * length) < 0) {
            return kept;
        }
        if (length > MAX_KEPT) {
            return new Q8Activations(x, rows, n, layout);
        }
        if (copy == null || copy.length < length) {
            copy = copies[slot] = new float[length];
        }
        System.arraycopy(x, 0, copy, 0, length);
        this.rows[slot] = rows;
        cols[slot] = n;
        return rounded[slot] = new Q8Activations(x, rows, n, layout);
    }
}
