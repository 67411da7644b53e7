package dev.tandem.core;

/** Element types of weight tensors. Activations are always F32. */
public enum DType {
    F32(4);

    private final int bytes;

    DType(int bytes) {
        this.bytes = bytes;
    }

    /** Bytes taken by {@code elements} values stored back to back. */
    public long byteSize(long elements) {
        return elements * bytes;
    }
}
