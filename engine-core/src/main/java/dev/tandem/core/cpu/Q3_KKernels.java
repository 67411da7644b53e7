package dev.tandem.core.cpu;

import static dev.tandem.core.cpu.VectorMath.L;

import dev.tandem.core.DType;
import dev.tandem.core.codec.Q3_KCodec;
import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

/**
 * Q3_K weights (most of a Q3_K_M file): 110-byte super-blocks of 32 bytes of third bits (hmask), 64 bytes of two
 * low bits (qs), 12 bytes of 6-bit scales and d; 16 groups of 16 values, each {@code d·(s - 32)·(q - 4)} with q's
 * third bit from hmask. Vector decode into the buffer of the k-row kernels, at every k: the value order and
 * arithmetic of {@link Q3_KCodec}, so decoded values equal the codec's bit for bit. (A one-row kernel on the
 * group-scaled arithmetic, as Q4_K's, ran no faster: with one 16-value chunk per scale, the per-group scalar work
 * weighs as much as the decoded-buffer round trip it saves.)
 */
final class Q3_KKernels extends WeightKernels {
    Q3_KKernels() {
        super(DType.Q3_K);
    }

    @Override
    void decodeVector(MemorySegment w, long row, int n, float[] buf, int b) {
        int[] scales = new int[16];
        for (int blk = 0; blk < n / 256; blk++) {
            long o = row + 110L * blk;
            float d = BlockLoads.scale(w, o + 108);
            Q3_KCodec.scales(w, o + 96, scales);
            for (int g = 0; g < 16; g++) {
                float dl = d * (scales[g] - 32);
                for (int l = 0; l < 16; l += L) {
                    ((FloatVector) BlockLoads.q3K(w, o, g, l).convert(VectorOperators.I2F, 0)).mul(dl)
                            .intoArray(buf, b + 256 * blk + 16 * g + l);
                }
            }
        }
    }
}
