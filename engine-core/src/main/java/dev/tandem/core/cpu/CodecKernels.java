package dev.tandem.core.cpu;

import dev.tandem.core.DType;
import java.lang.foreign.MemorySegment;

/**
 * A type with no vector decoder yet: its rows decode through the scalar codec into the buffer the k-row dot
 * kernels read. Correct at every k, and fast enough where the matmul is bound by arithmetic; a type that
 * matters for speed gets its own {@link WeightKernels} subclass.
 */
final class CodecKernels extends WeightKernels {
    CodecKernels(DType type) {
        super(type);
    }

    @Override
    void decodeVector(MemorySegment w, long row, int n, float[] buf, int b) {
        dev.tandem.core.Quantization.decode(type, w, row, n, buf, b);
    }
}
