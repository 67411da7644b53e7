package dev.tandem.models.convert;

import dev.tandem.core.DType;
import dev.tandem.core.Quantization;
import dev.tandem.core.Tensor;
import java.lang.foreign.MemorySegment;

/**
 * One tensor on its way into another file: its source rows (optionally reordered), written as {@code target};
 * {@code vector} tensors (norms, biases) are 1-D in the file.
 * Rows already in the target type are copied byte for byte; others are decoded and re-encoded.
 */
record ExportTensor(String name, Tensor source, int[] rowOrder, DType target, boolean vector) {
    int rows() {
        return source.rows();
    }

    int cols() {
        return source.cols();
    }

    long bytes() {
        return target.byteSize((long) rows() * cols());
    }

    void fill(MemorySegment dst) {
        long outRow = target.byteSize(cols());
        float[] values = new float[cols()];
        for (int r = 0; r < rows(); r++) {
            int src = rowOrder == null ? r : rowOrder[r];
            if (source.dtype() == target && source.array() == null) {
                MemorySegment.copy(source.segment(), src * source.rowBytes(), dst, r * outRow, outRow);
            } else {
                float[] row = source.row(src);
                System.arraycopy(row, 0, values, 0, values.length);
                Quantization.encode(target, values, 0, cols(), dst, r * outRow);
            }
        }
    }
}
