package dev.tandem.core.cpu;

import static dev.tandem.core.cpu.VectorMath.L;

import dev.tandem.core.DType;
import dev.tandem.core.codec.KQuantScales;
import java.lang.foreign.MemorySegment;

/**
 * Q5_K weights: vector decode of the super-blocks into the buffer of the k-row kernels, at every k. A one-row
 * kernel decoding in registers, like Q4_K's and Q6_K's, took 89 ms per 256 MiB one-row matmul on two threads,
 * against 47 for this path (not profiled; C2's node cut-off, which boxed Q4_0's wider kernels, is the likely cause).
 */
final class Q5_KKernels extends WeightKernels {
    Q5_KKernels() {
        super(DType.Q5_K);
    }

    /** Q5_K: 176-byte super-blocks of d, dmin, 12 scale bytes, 32 bytes of fifth bits (bit 2g, 2g+1 for group g), 128 of nibbles. */
    @Override
    void decodeVector(MemorySegment w, long row, int n, float[] buf, int b) {
        for (int blk = 0; blk < n / 256; blk++) {
            long o = row + 176L * blk;
            float d = BlockLoads.scale(w, o), dmin = BlockLoads.scale(w, o + 2);
            long sc = o + 4, qh = o + 16;
            // 32 values h: nibbles (low for even h, high for odd) of bytes 32 (h / 2).., fifth bit = bit h of qh;
            // one loop body keeps C2 within its inlining budget (two unrolled halves fell back to allocating code)
            for (int h = 0; h < 8; h++) {
                float dh = d * KQuantScales.scale(w, sc, h), mh = dmin * KQuantScales.min(w, sc, h);
                long q = o + 48 + 32L * (h >> 1);
                int y = b + 256 * blk + 32 * h;
                for (int l = 0; l < 32; l += L) { // the fifth bit adds 16 to a nibble: an or
                    BlockLoads.q5K(w, q + l, qh + l, h, dh, mh).intoArray(buf, y + l);
                }
            }
        }
    }
}
