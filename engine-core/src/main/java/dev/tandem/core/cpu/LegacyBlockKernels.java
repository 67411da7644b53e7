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
                    FloatVector v = BlockLoads.q5Block(w, o + qh, o + qs, h, e, bias).mul(d);
                    if (mins) { // two stores, not a vector chosen by a branch (see BlockLoads.q5KBytes)
                        v.add(m).intoArray(buf, b + 32 * blk + h + e);
                    } else {
                        v.intoArray(buf, b + 32 * blk + h + e);
                    }
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

    /**
     * Weight rows j and j + q (q = 0: row j, twice) against batch rows r and r + 1, each value decoded once for the two:
     * {@link #x1}'s chains, four independent ones (one weight row at a time had two: rows=2 in bench matmul, 8 MiB, one
     * thread pinned, 4 alternated pairs: Q5_0 0.82-0.84x the time, Q5_1 0.81-0.82x).
     */
    @Override
    void x2(float[] out, float[] x, float[] xs, int r, MemorySegment w, long rowBytes, int n, int d, int j, int q,
            float[] lanes) {
        long w0 = j * rowBytes, w1 = (j + q) * rowBytes;
        int groups = n / 32;
        FloatVector a00 = FloatVector.zero(F), a01 = a00, a10 = a00, a11 = a00;
        for (int blk = 0; blk < groups; blk++) {
            long o0 = w0 + (long) blockBytes * blk, o1 = w1 + (long) blockBytes * blk;
            FloatVector p00 = FloatVector.zero(F), p01 = p00, p10 = p00, p11 = p00;
            for (int h = 0; h < 32; h += 16) {
                for (int e = 0; e < 16; e += L) {
                    FloatVector v0 = BlockLoads.q5Block(w, o0 + qh, o0 + qs, h, e, bias);
                    FloatVector v1 = BlockLoads.q5Block(w, o1 + qh, o1 + qs, h, e, bias);
                    int i = r * n + 32 * blk + h + e;
                    FloatVector u = FloatVector.fromArray(F, x, i);
                    p00 = v0.fma(u, p00); p01 = v1.fma(u, p01);
                    u = FloatVector.fromArray(F, x, i + n);
                    p10 = v0.fma(u, p10); p11 = v1.fma(u, p11);
                }
            }
            FloatVector s0 = FloatVector.broadcast(F, BlockLoads.scale(w, o0)), s1 = FloatVector.broadcast(F, BlockLoads.scale(w, o1));
            a00 = p00.fma(s0, a00); a01 = p01.fma(s1, a01);
            a10 = p10.fma(s0, a10); a11 = p11.fma(s1, a11);
        }
        float m00 = 0, m01 = 0, m10 = 0, m11 = 0;
        for (int blk = 0; mins && blk < groups; blk++) {
            float n0 = BlockLoads.scale(w, w0 + (long) blockBytes * blk + 2), n1 = BlockLoads.scale(w, w1 + (long) blockBytes * blk + 2);
            int xg = r * groups + blk;
            m00 = Math.fma(n0, xs[xg], m00); m01 = Math.fma(n1, xs[xg], m01);
            m10 = Math.fma(n0, xs[xg + groups], m10); m11 = Math.fma(n1, xs[xg + groups], m11);
        }
        a00.intoArray(lanes, 0); a01.intoArray(lanes, L); a10.intoArray(lanes, 2 * L); a11.intoArray(lanes, 3 * L);
        VectorMath.laneSums(lanes, 4);
        out[r * d + j + q] = lanes[1] + m01;
        out[(r + 1) * d + j + q] = lanes[3] + m11;
        out[r * d + j] = lanes[0] + m00;
        out[(r + 1) * d + j] = lanes[2] + m10;
    }

    /**
     * Weight rows j and j + q (q = 0: row j, twice) against batch rows r..r+3: {@link #x1}'s chains, eight independent
     * ones, each weight chunk decoded once for the four rows (one weight row at a time had four chains:
     * --rows 4 in bench matmul, 8 MiB, one thread pinned, 3 alternated pairs: Q5_0 0.73-0.76x the time, Q5_1
     * 0.75-0.79x). The mins in passes of their own, per weight row ({@link #mins4}: with both rows' mins in a loop
     * over t, C2 compiled Q5_1's tile 1.2-1.4x slower than before).
     */
    @Override
    void x4(float[] out, float[] x, float[] xs, int r, MemorySegment w, long rowBytes, int n, int d, int j, int q,
            float[] lanes) {
        long w0 = j * rowBytes, w1 = (j + q) * rowBytes;
        int groups = n / 32;
        FloatVector a00 = FloatVector.zero(F), a01 = a00, a10 = a00, a11 = a00, a20 = a00, a21 = a00, a30 = a00, a31 = a00;
        for (int blk = 0; blk < groups; blk++) {
            long o0 = w0 + (long) blockBytes * blk, o1 = w1 + (long) blockBytes * blk;
            FloatVector p00 = FloatVector.zero(F), p01 = p00, p10 = p00, p11 = p00, p20 = p00, p21 = p00, p30 = p00, p31 = p00;
            for (int h = 0; h < 32; h += 16) {
                for (int e = 0; e < 16; e += L) {
                    FloatVector v0 = BlockLoads.q5Block(w, o0 + qh, o0 + qs, h, e, bias);
                    FloatVector v1 = BlockLoads.q5Block(w, o1 + qh, o1 + qs, h, e, bias);
                    int i = r * n + 32 * blk + h + e;
                    FloatVector u = FloatVector.fromArray(F, x, i);
                    p00 = v0.fma(u, p00); p01 = v1.fma(u, p01);
                    u = FloatVector.fromArray(F, x, i + n);
                    p10 = v0.fma(u, p10); p11 = v1.fma(u, p11);
                    u = FloatVector.fromArray(F, x, i + 2 * n);
                    p20 = v0.fma(u, p20); p21 = v1.fma(u, p21);
                    u = FloatVector.fromArray(F, x, i + 3 * n);
                    p30 = v0.fma(u, p30); p31 = v1.fma(u, p31);
                }
            }
            FloatVector s0 = FloatVector.broadcast(F, BlockLoads.scale(w, o0)), s1 = FloatVector.broadcast(F, BlockLoads.scale(w, o1));
            a00 = p00.fma(s0, a00); a01 = p01.fma(s1, a01);
            a10 = p10.fma(s0, a10); a11 = p11.fma(s1, a11);
            a20 = p20.fma(s0, a20); a21 = p21.fma(s1, a21);
            a30 = p30.fma(s0, a30); a31 = p31.fma(s1, a31);
        }
        a00.intoArray(lanes, 0); a01.intoArray(lanes, L); a10.intoArray(lanes, 2 * L); a11.intoArray(lanes, 3 * L);
        a20.intoArray(lanes, 4 * L); a21.intoArray(lanes, 5 * L); a30.intoArray(lanes, 6 * L); a31.intoArray(lanes, 7 * L);
        VectorMath.laneSums(lanes, 8);
        for (int i = 8; i < 16; i++) { // the summed lanes are in lanes[0..8); the mins go beside them, lanes[8 + a]
            lanes[i] = 0;
        }
        if (mins) {
            mins4(w, w0, xs, r, groups, lanes, 8);
            mins4(w, w1, xs, r, groups, lanes, 9);
        }
        for (int t = 1; t >= 0; t--) { // weight row j + q first: for q = 0, row j's own sums are written last
            for (int i = 0; i < 4; i++) {
                out[(r + i) * d + j + t * q] = lanes[2 * i + t] + lanes[8 + 2 * i + t];
            }
        }
    }

    /** The mins chains of the weight row at {@code wt} against batch rows r..r+3, into mn[o], mn[o + 2], mn[o + 4], mn[o + 6]. */
    private void mins4(MemorySegment w, long wt, float[] xs, int r, int groups, float[] mn, int o) {
        float m0 = 0, m1 = 0, m2 = 0, m3 = 0;
        for (int blk = 0; blk < groups; blk++) {
            float m = BlockLoads.scale(w, wt + (long) blockBytes * blk + 2);
            int xg = r * groups + blk;
            m0 = Math.fma(m, xs[xg], m0);
            m1 = Math.fma(m, xs[xg + groups], m1);
            m2 = Math.fma(m, xs[xg + 2 * groups], m2);
            m3 = Math.fma(m, xs[xg + 3 * groups], m3);
        }
        mn[o] = m0;
        mn[o + 2] = m1;
        mn[o + 4] = m2;
        mn[o + 6] = m3;
    }

    /** Q5_0 and Q5_1 weights multiply int8 activations where the backend allows them ({@link LegacyQ5LaneKernels}). */
    @Override
    WeightKernels forWeights(dev.tandem.core.Tensor w, boolean int8Activations, WorkerPool pool) {
        return int8Activations ? LegacyQ5LaneKernels.of(w, this, pool) : this;
    }
}
