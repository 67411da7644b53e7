package dev.tandem.core;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * A row-major matrix of {@code rows x cols} values over a {@link MemorySegment}.
 *
 * <p>Weights point straight into the memory-mapped model file (never copied onto the heap);
 * activations made by {@link #allocate} are heap-backed so the CPU kernels can use plain arrays,
 * which is where the Vector API is fastest.
 */
public final class Tensor {
    private static final ValueLayout.OfFloat F32_LE =
            ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(java.nio.ByteOrder.LITTLE_ENDIAN);

    private final MemorySegment segment;
    private final float[] array; // non-null for heap activations
    private final DType dtype;
    private final int rows;
    private final int cols;
    private final long deviceAddress; // where a device tensor's first value lives in its backend's memory
    private final Backend owner;       // non-null for device tensors: the backend whose memory holds them

    private Tensor(MemorySegment segment, float[] array, DType dtype, int rows, int cols) {
        this(segment, array, dtype, rows, cols, 0, null);
    }

    private Tensor(MemorySegment segment, float[] array, DType dtype, int rows, int cols, long deviceAddress,
                   Backend owner) {
        this.segment = segment;
        this.array = array;
        this.dtype = dtype;
        this.rows = rows;
        this.cols = cols;
        this.deviceAddress = deviceAddress;
        this.owner = owner;
    }

    /**
     * A tensor in a device backend's own memory (a GPU buffer): the host cannot read it directly, only
     * through that backend ({@link Backend#readRow}).
     */
    public static Tensor onDevice(Backend owner, long address, DType dtype, int rows, int cols) {
        return new Tensor(null, null, dtype, rows, cols, address, java.util.Objects.requireNonNull(owner));
    }

    /** The backend whose memory holds this tensor, or null for host tensors. */
    public Backend deviceOwner() {
        return owner;
    }

    /** The device address of a device tensor. */
    public long deviceAddress() {
        if (owner == null) {
            throw new IllegalStateException("a host tensor has no device address");
        }
        return deviceAddress;
    }

    private void requireHost() {
        if (owner != null) {
            throw new TandemException("this " + rows + "x" + cols + " tensor lives in the memory of " + owner.name()
                    + "; read it through that backend (Backend.readRow)");
        }
    }

    /** A view of {@code rows x cols} values of {@code dtype} at the start of {@code segment}. */
    public static Tensor of(MemorySegment segment, DType dtype, int rows, int cols) {
        if (cols % dtype.blockSize() != 0) {
            throw new TandemException("a " + dtype + " tensor's rows must hold whole blocks of " + dtype.blockSize()
                    + " values, but it has " + cols + " columns");
        }
        long need = dtype.byteSize((long) rows * cols);
        if (segment.byteSize() < need) {
            throw new TandemException("tensor of " + rows + "x" + cols + " needs " + need
                    + " bytes but only " + segment.byteSize() + " are there");
        }
        return new Tensor(segment.asSlice(0, need), null, dtype, rows, cols);
    }

    /** A zeroed F32 heap tensor for activations. */
    public static Tensor allocate(int rows, int cols) {
        float[] a = new float[Math.multiplyExact(rows, cols)];
        return new Tensor(MemorySegment.ofArray(a), a, DType.F32, rows, cols);
    }

    /** Wraps an existing array (rows x cols, row-major) without copying. */
    public static Tensor wrap(float[] values, int rows, int cols) {
        if (values.length != rows * cols) {
            throw new IllegalArgumentException("array of " + values.length + " is not " + rows + "x" + cols);
        }
        return new Tensor(MemorySegment.ofArray(values), values, DType.F32, rows, cols);
    }

    public MemorySegment segment() {
        requireHost();
        return segment;
    }

    /** The backing array of a heap F32 tensor, or null for mapped tensors. */
    public float[] array() {
        return array;
    }

    public DType dtype() {
        return dtype;
    }

    public int rows() {
        return rows;
    }

    public int cols() {
        return cols;
    }

    public float get(int row, int col) {
        requireHost();
        if (array != null) {
            return array[row * cols + col];
        }
        if (dtype != DType.F32) {
            return row(row)[col];
        }
        return segment.get(F32_LE, ((long) row * cols + col) * 4);
    }

    /** Copies one row into a new array, decoding quantized weights. */
    public float[] row(int row) {
        requireHost();
        if (array != null) {
            float[] out = new float[cols];
            System.arraycopy(array, row * cols, out, 0, cols);
            return out;
        }
        return Quantization.row(this, row);
    }

    /** Bytes one row takes. */
    public long rowBytes() {
        return dtype.byteSize(cols);
    }
}
