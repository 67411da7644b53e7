package dev.tandem.core.cpu;

import static dev.tandem.core.cpu.VectorMath.F;
import static dev.tandem.core.cpu.VectorMath.L;

import dev.tandem.core.DType;
import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;

/**
 * llama.cpp's legacy 32-value block types with a fifth bit: Q5_0 and Q5_1 (llama-quantize's fallbacks for Q4_K and
 * Q5_K rows that are not whole super-blocks, so most of a Q4_K_M or Q5_K_M file of a model 896 or 2880 wide). A
 * block: an F16 scale d (Q5_1: and an F16 min m), 32 fifth bits, 16 bytes of nibbles (values 0..15 in the low
 * nibbles, 16..31 in the high ones); each value is {@code d·(q - 16)} (Q5_0) or {@code d·q + m} (Q5_1). The arithmetic every path shares is
 * {@link GroupScaledKernels}': per block, {@code p = Σ (q - bias)·x} over its low chunks then its high chunks,
 * {@code acc = fma(p, d, acc)}, and for Q5_1 {@code mins = fma(m, xs_b, mins)}; the result is
 * {@code sum(acc) + mins}.
 */
final class LegacyBlockKernels extends GroupScaledKernels {
    private final int blockBytes;
    private final int qh; // offsets in a block: fifth bits, nibbles
    private final int qs;
    private final int bias;
    private final boolean mins;

    LegacyBlockKernels(DType type) {
        super(type, type != DType.Q5_0);
        if (type != DType.Q5_0 && type != DType.Q5_1) {
            throw new IllegalArgumentException(type + " is not Q5_0 or Q5_1");
        }
        this.mins = type != DType.Q5_0;
        this.blockBytes = type.blockBytes();
        this.qh = mins ? 4 : 2;
        this.qs = qh + 4;
        this.bias = mins ? 0 : 16;
    }

    @Override
    void decodeVector(MemorySegment w, long row, int n, float[] buf, int b) {
        for (int blk = 0; blk < n / 32; blk++) {
            long o = row + (long) blockBytes * blk;
            float d = BlockLoads.scale(w, o), m = mins ? BlockLoads.scale(w, o + 2) : 0;
            for (int h = 0; h < 32; h += 16) {
                for (int e = 0; e < 16; e += L) { // the codec's arithmetic: q·d, then + m (Q5_0: (q - 16)·d)
                    BlockLoads.store(BlockLoads.q5Block(w, o + qh, o + qs, h, e, bias).mul(d), mins, m, buf, b + 32 * blk + h + e);
                }
            }
        }
    }

    /**
     * Weight rows j and j + q (q = 0: row j, twice) against batch row r, side by side: two independent chains where one
     * row at a time waited on one (bench matmul, 8 MiB, one thread pinned, 5 alternated pairs: Q5_0 0.84-0.90x the
     * time, Q5_1 0.88-0.98x). Per row: per block {@code p = Σ (q - bias)·x} (low half, then high), {@code a = fma(p, d, a)};
     * then the mins chain in a pass of its own (beside the vector loop it was 1.7x slower; the two rows' chains side by side,
     * each min read as {@link BlockLoads#leadingScale}: Q5_1 0.87-0.95x the time in 4 pairs), and {@code sum(a) + mins}.
     */
    @Override
    void x1(float[] out, float[] x, float[] xs, int r, MemorySegment w, long rowBytes, int n, int d, int j, int q,
            float[] lanes) {
        long w0 = j * rowBytes, w1 = (j + q) * rowBytes;
        FloatVector a0 = FloatVector.zero(F), a1 = a0;
        for (int blk = 0; blk < n / 32; blk++) {
            long o0 = w0 + (long) blockBytes * blk, o1 = w1 + (long) blockBytes * blk;
            FloatVector p0 = FloatVector.zero(F), p1 = p0;
            for (int h = 0; h < 32; h += 16) {
                for (int e = 0; e < 16; e += L) {
                    FloatVector v = FloatVector.fromArray(F, x, r * n + 32 * blk + h + e);
                    p0 = BlockLoads.q5Block(w, o0 + qh, o0 + qs, h, e, bias).fma(v, p0);
                    p1 = BlockLoads.q5Block(w, o1 + qh, o1 + qs, h, e, bias).fma(v, p1);
                }
            }
            a0 = p0.fma(FloatVector.broadcast(F, BlockLoads.scale(w, o0)), a0);
            a1 = p1.fma(FloatVector.broadcast(F, BlockLoads.scale(w, o1)), a1);
        }
        float mn0 = 0, mn1 = 0;
        for (int blk = 0; mins && blk < n / 32; blk++) { // the two rows' chains side by side, as the vector loop's
            float s = xs[r * (n / 32) + blk];
            mn0 = Math.fma(BlockLoads.leadingScale(w, w0 + (long) blockBytes * blk + 2), s, mn0);
            mn1 = Math.fma(BlockLoads.leadingScale(w, w1 + (long) blockBytes * blk + 2), s, mn1);
        }
        a0.intoArray(lanes, 0);
        a1.intoArray(lanes, L);
        out[r * d + j + q] = VectorMath.sumStored(lanes, L) + mn1;
        out[r * d + j] = VectorMath.sumStored(lanes, 0) + mn0;
    }

}
