package dev.tandem.core.cpu;

import static dev.tandem.core.cpu.VectorMath.L;

import dev.tandem.core.DType;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

/**
 * Q2_K weights: 84-byte super-blocks of 16 scale bytes (4-bit scale, 4-bit min), 64 bytes of two-bit values, d and
 * dmin; 16 groups of 16 values, each {@code d·sc·q - dmin·m}. Vector decode into the buffer of the k-row kernels,
 * at every k: the value order and arithmetic of {@link dev.tandem.core.codec.Q2_KCodec}, bit for bit.
 */
final class Q2_KKernels extends WeightKernels {
    Q2_KKernels() {
        super(DType.Q2_K);
    }

    @Override
    void decodeVector(MemorySegment w, long row, int n, float[] buf, int b) {
        for (int blk = 0; blk < n / 256; blk++) {
            long o = row + 84L * blk;
            float d = BlockLoads.scale(w, o + 80), min = BlockLoads.scale(w, o + 82);
            for (int g = 0; g < 16; g++) {
                int sc = w.get(ValueLayout.JAVA_BYTE, o + g) & 0xFF;
                float dl = d * (sc & 0xF), ml = min * (sc >>> 4);
                for (int l = 0; l < 16; l += L) {
                    ((FloatVector) BlockLoads.twoBits(w, o + 16, g, l).convert(VectorOperators.I2F, 0)).mul(dl).sub(ml)
                            .intoArray(buf, b + 256 * blk + 16 * g + l);
                }
            }
        }
    }
}
