package dev.tandem.core.cpu;

import static dev.tandem.core.cpu.VectorMath.F;
import static dev.tandem.core.cpu.VectorMath.L;

import dev.tandem.core.KQuants;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vector decoders of the K-quant super-blocks that llama.cpp's Q4_K_M, Q5_K_M and Q6_K files are mostly made of, into
 * the float buffer the k-row dot kernels read ({@link DecodedMatmul}). The per-sub-block scales stay scalar (8
 * or 16 per 256 values); the values are decoded L at a time with the scalar decoder's operations in the same
 * order (a multiply, then a subtract: no fused multiply-add), so every value is bitwise
 * {@link dev.tandem.core.Quantization#decode}'s. Only where {@link BlockLoads#VECTOR_BLOCKS}.
 */
final class KQuantDecode {
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    private static final VectorSpecies<Byte> B = BlockLoads.VECTOR_BLOCKS ? VectorSpecies.of(byte.class, VectorShape.forBitSize(L * 8)) : null;

    private KQuantDecode() {}

    private static FloatVector toFloat(ByteVector q) {
        return (FloatVector) q.convertShape(VectorOperators.B2F, F, 0);
    }

    /** Q4_K: 144-byte super-blocks of d, dmin, 12 bytes of 6-bit scales and mins, 128 bytes of nibbles. */
    static void q4K(MemorySegment w, long row, int n, float[] buf, int b) {
        for (int blk = 0; blk < n / 256; blk++) {
            long o = row + 144L * blk;
            float d = BlockLoads.scale(w, o), dmin = BlockLoads.scale(w, o + 2);
            long sc = o + 4;
            for (int j = 0; j < 4; j++) { // 64 values: the low nibbles of 32 bytes, then their high nibbles
                int is = 2 * j;
                float d1 = d * KQuants.scale(w, sc, is), m1 = dmin * KQuants.min(w, sc, is);
                float d2 = d * KQuants.scale(w, sc, is + 1), m2 = dmin * KQuants.min(w, sc, is + 1);
                long q = o + 16 + 32L * j;
                int y = b + 256 * blk + 64 * j;
                for (int l = 0; l < 32; l += L) {
                    ByteVector v = ByteVector.fromMemorySegment(B, w, q + l, LE);
                    toFloat(v.and((byte) 0x0F)).mul(d1).sub(m1).intoArray(buf, y + l);
                    toFloat(v.lanewise(VectorOperators.LSHR, 4).and((byte) 0x0F)).mul(d2).sub(m2).intoArray(buf, y + 32 + l);
                }
            }
        }
    }

    /** L values from the nibbles ({@code shift} 0: low, 4: high) of the bytes at {@code at}: {@code scale * q - min}. */
    static FloatVector nibbles(MemorySegment w, long at, int shift, float scale, float min) {
        return toFloat(ByteVector.fromMemorySegment(B, w, at, LE).lanewise(VectorOperators.LSHR, shift).and((byte) 0x0F)).mul(scale).sub(min);
    }

    /** Q5_K: 176-byte super-blocks of d, dmin, 12 scale bytes, 32 bytes of fifth bits (bit 2g, 2g+1 for group g), 128 of nibbles. */
    static void q5K(MemorySegment w, long row, int n, float[] buf, int b) {
        for (int blk = 0; blk < n / 256; blk++) {
            long o = row + 176L * blk;
            float d = BlockLoads.scale(w, o), dmin = BlockLoads.scale(w, o + 2);
            long sc = o + 4, qh = o + 16;
            // 32 values h: nibbles (low for even h, high for odd) of bytes 32 (h / 2).., fifth bit = bit h of qh;
            // one loop body keeps C2 within its inlining budget (two unrolled halves fell back to allocating code)
            for (int h = 0; h < 8; h++) {
                float dh = d * KQuants.scale(w, sc, h), mh = dmin * KQuants.min(w, sc, h);
                long q = o + 48 + 32L * (h >> 1);
                int y = b + 256 * blk + 32 * h;
                for (int l = 0; l < 32; l += L) { // the fifth bit adds 16 to a nibble: an or
                    ByteVector v = ByteVector.fromMemorySegment(B, w, q + l, LE).lanewise(VectorOperators.LSHR, 4 * (h & 1)).and((byte) 0x0F);
                    ByteVector hb = ByteVector.fromMemorySegment(B, w, qh + l, LE).lanewise(VectorOperators.LSHR, h).and((byte) 1);
                    toFloat(v.or(hb.lanewise(VectorOperators.LSHL, 4))).mul(dh).sub(mh).intoArray(buf, y + l);
                }
            }
        }
    }

    /** Q6_K: 210-byte super-blocks of 128 bytes of low nibbles, 64 of high bit pairs, 16 int8 scales, d. */
    static void q6K(MemorySegment w, long row, int n, float[] buf, int b) {
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
                        ByteVector lo = ByteVector.fromMemorySegment(B, w, ql + 32 * (k & 1) + l, LE);
                        ByteVector h = ByteVector.fromMemorySegment(B, w, qh + l, LE);
                        ByteVector v = lo.lanewise(VectorOperators.LSHR, nibble).and((byte) 0x0F)
                                .or(h.lanewise(VectorOperators.LSHR, 2 * k).and((byte) 3).lanewise(VectorOperators.LSHL, 4)).sub((byte) 32);
                        toFloat(v).mul(d * w.get(ValueLayout.JAVA_BYTE, sc + is + 2 * k)).intoArray(buf, y + 32 * k + l);
                    }
                }
            }
        }
    }
}
