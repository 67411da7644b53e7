package dev.tandem.cuda;

import java.lang.foreign.MemorySegment;

/**
 * Device memory for one op's small inputs (token ids, positions, tree parents, host activations): a bump
 * allocator reset before each op, grown (never shrunk) when an op needs more. One allocation serves every
 * step instead of an allocation per op.
 */
final class Staging implements AutoCloseable {
    private static final long ALIGN = 256;
    private final CudaDevice device;
    private long base;
    private long capacity;
    private long used;
    private long pending; // bytes the current op asked for beyond the capacity

    Staging(CudaDevice device) {
        this.device = device;
    }

    void reset() {
        if (pending > 0) {
            grow(capacity + pending);
        }
        used = 0;
        pending = 0;
    }

    long take(long bytes) {
        long size = (bytes + ALIGN - 1) / ALIGN * ALIGN;
        if (used + size > capacity) {
            if (used == 0) {
                grow(size); // nothing of this op lives here yet: replace the buffer now
            } else {
                // earlier operands of this op live in the buffer; give this one its own and grow at the next reset
                pending += size;
                long own = device.alloc(size);
                extra = append(extra, own);
                return own;
            }
        }
        long at = base + used;
        used += size;
        return at;
    }

    private long[] extra = new long[0];

    private static long[] append(long[] a, long v) {
        long[] b = java.util.Arrays.copyOf(a, a.length + 1);
        b[a.length] = v;
        return b;
    }

    long upload(MemorySegment src, long bytes) {
        long at = take(bytes);
        device.upload(at, src, bytes);
        return at;
    }

    private void grow(long atLeast) {
        device.synchronize();
        if (base != 0) {
            device.free(base);
        }
        for (long e : extra) {
            device.free(e);
        }
        extra = new long[0];
        capacity = Math.max(atLeast, Math.max(2 * capacity, 1 << 16));
        base = device.alloc(capacity);
    }

    @Override
    public void close() {
        if (base != 0) {
            device.free(base);
        }
        for (long e : extra) {
            device.free(e);
        }
        base = 0;
    }
}
