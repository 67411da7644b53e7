package dev.tandem.core.cpu;

import dev.tandem.core.DType;
import dev.tandem.core.codec.IQ4_NLCodec;
import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * IQ4_NL weights: the nibbles of a block index a 16-level table with one byte shuffle per 16 values, then
 * widen to floats times the block's scale, into the buffer of the k-row kernels (no one-row kernel yet).
 * The table fills a byte vector only where vectors hold 16 floats (AVX-512); narrower machines decode with
 * the scalar codec. Every value is bitwise the codec's ({@code d * level}, one multiply).
 */
final class IQ4_NLKernels extends WeightKernels {
    private static final boolean TABLE_IN_VECTOR = BlockLoads.VECTOR_BLOCKS && VectorMath.L == 16;
    private static final VectorSpecies<Byte> BYTES = TABLE_IN_VECTOR ? ByteVector.SPECIES_128 : null;
    private static final ByteVector LEVELS = TABLE_IN_VECTOR ? ByteVector.fromArray(BYTES, IQ4_NLCodec.levels(), 0) : null;

    IQ4_NLKernels() {
        super(DType.IQ4_NL);
    }

    @Override
    void decodeVector(MemorySegment w, long row, int n, float[] buf, int b) {
        if (!TABLE_IN_VECTOR) {
            dev.tandem.core.Quantization.decode(type, w, row, n, buf, b);
            return;
        }
        for (int blk = 0; blk < n / 32; blk++) {
            long o = row + 18L * blk;
            float d = BlockLoads.scale(w, o);
            ByteVector q = ByteVector.fromMemorySegment(BYTES, w, o + 2, java.nio.ByteOrder.LITTLE_ENDIAN);
            int y = b + 32 * blk;
            toFloat(q.and((byte) 0x0F).selectFrom(LEVELS)).mul(d).intoArray(buf, y);
            toFloat(q.lanewise(VectorOperators.LSHR, 4).and((byte) 0x0F).selectFrom(LEVELS)).mul(d).intoArray(buf, y + 16);
        }
    }

    private static FloatVector toFloat(ByteVector q) {
        return (FloatVector) q.convertShape(VectorOperators.B2F, VectorMath.F, 0);
    }
}
