package dev.tandem.core.cpu;

import static dev.tandem.core.cpu.VectorMath.F;
import static dev.tandem.core.cpu.VectorMath.L;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * What the K-quant kernels ({@link Q4_KKernels}, {@link Q5_KKernels}, {@link Q6_KKernels}) share: L bytes of a
 * super-block as a byte vector, and its values as floats. The per-sub-block scales stay scalar (8 or 16 per
 * 256 values); values decode with the scalar codec's operations in the same order (a multiply, then a
 * subtract: no fused multiply-add), so every value is bitwise the codec's. Only where
 * {@link BlockLoads#VECTOR_BLOCKS}.
 */
final class KQuantLoads {
    static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    static final VectorSpecies<Byte> B = BlockLoads.VECTOR_BLOCKS ? VectorSpecies.of(byte.class, VectorShape.forBitSize(L * 8)) : null;

    private KQuantLoads() {}

    static FloatVector toFloat(ByteVector q) {
        return (FloatVector) q.convertShape(VectorOperators.B2F, F, 0);
    }

    /** L values from the nibbles ({@code shift} 0: low, 4: high) of the bytes at {@code at}: {@code scale * q - min}. */
    static FloatVector nibbles(MemorySegment w, long at, int shift, float scale, float min) {
        return toFloat(ByteVector.fromMemorySegment(B, w, at, LE).lanewise(VectorOperators.LSHR, shift).and((byte) 0x0F)).mul(scale).sub(min);
    }
}
