package dev.tandem.core.cpu;

import static dev.tandem.core.cpu.VectorMath.F;
import static dev.tandem.core.cpu.VectorMath.L;

import dev.tandem.core.DType;
import dev.tandem.core.codec.KQuantScales;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.VectorOperators;

/** Q6_K weights: vector decode of the super-blocks into the buffer of the k-row kernels (no one-row kernel yet). */
final class Q6_KKernels extends WeightKernels {
    Q6_KKernels() {
        super(DType.Q6_K);
    }

    /** Q6_K: 210-byte super-blocks of 128 bytes of low nibbles, 64 of high bit pairs, 16 int8 scales, d. */
    @Override
    void decodeVector(MemorySegment w, long row, int n, float[] buf, int b) {
        for (int blk = 0; blk < n / 256; blk++) {
            long o = row + 210L * blk;
            float d = BlockLoads.scale(w, o + 208);
            for (int half = 0; half < 2; half++) {
                long ql = o + 64L * half, qh = o + 128 + 32L * half, sc = o + 192 + 8L * half;
                int y = b + 256 * blk + 128 * half;
                // quarter k (values 32k..32k+31 of the half): low bits from the low (k < 2) or high nibbles of
                // ql[32 (k % 2) + l], high bits from bits 2k, 2k+1 of qh[l]; one loop body keeps C2 within its
                // inlining budget (four unrolled quarters fell back to allocating vector code)
                for (int k = 0; k < 4; k++) {
                    int nibble = k < 2 ? 0 : 4;
                    for (int l = 0; l < 32; l += L) {
                        int is = l / 16; // L divides 16, so a chunk has one scale
                        ByteVector lo = ByteVector.fromMemorySegment(KQuantLoads.B, w, ql + 32 * (k & 1) + l, KQuantLoads.LE);
                        ByteVector h = ByteVector.fromMemorySegment(KQuantLoads.B, w, qh + l, KQuantLoads.LE);
                        ByteVector v = lo.lanewise(VectorOperators.LSHR, nibble).and((byte) 0x0F)
                                .or(h.lanewise(VectorOperators.LSHR, 2 * k).and((byte) 3).lanewise(VectorOperators.LSHL, 4)).sub((byte) 32);
                        KQuantLoads.toFloat(v).mul(d * w.get(ValueLayout.JAVA_BYTE, sc + is + 2 * k)).intoArray(buf, y + 32 * k + l);
                    }
                }
            }
        }
    }
}
