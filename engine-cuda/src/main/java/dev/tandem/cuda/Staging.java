package dev.tandem.cuda;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;

/**
 * Device memory for one op's small inputs (token ids, positions, tree parents, host activations): a bump
 * allocator reset before each op, grown (never shrunk) when an op needs more. One allocation serves every
 * step instead of an allocation per op.
 *
 * <p>On a {@link GraphedDevice} it is reset once per graph segment instead, so what one op staged stays there
 * for the segment's later ops, and a read-only input already staged in it ({@link #uploadShared}: every layer
 * stages the same positions, tree parents, cached length and KV slot) is not copied again: a decode step's graph
 * then holds a handful of input copies, not several per layer.
 */
final class Staging implements AutoCloseable {
    private static final long ALIGN = 256;
    private final CudaDevice device;
    private final GraphedDevice graphed; // the device when it records graph segments, else null
    private long base;
    private long capacity;
    private long used;
    private long pending; // bytes the current op asked for beyond the capacity
    private long generation = -1; // the graphed device's segment these contents belong to
    private final List<Shared> shared = new ArrayList<>();

    /** A read-only input staged in this segment: its bytes, and where they are on the device. */
    private record Shared(MemorySegment bytes, long address) {}

    /** Read-only inputs up to this size are looked up before they are staged again. */
    private static final long SHARED_MAX = 4096;

    Staging(CudaDevice device) {
        this.device = device;
        this.graphed = device instanceof GraphedDevice g ? g : null;
    }

    void reset() {
        if (graphed != null && graphed.generation() == generation) {
            return; // the same graph segment: its earlier ops' inputs stay where they are, to be shared
        }
        if (pending > 0) {
            grow(capacity + pending);
        }
        used = 0;
        pending = 0;
        shared.clear();
        if (graphed != null) {
            generation = graphed.generation();
        }
    }

    /**
     * An input no kernel writes: on a graphed device, the address where the same bytes were staged earlier in this
     * segment if they were (nothing is copied), else a new copy; elsewhere always a new copy.
     */
    long uploadShared(MemorySegment src, long bytes) {
        boolean share = graphed != null && bytes <= SHARED_MAX;
        if (share) {
            for (Shared s : shared) {
                if (s.bytes.byteSize() == bytes && MemorySegment.mismatch(s.bytes, 0, bytes, src, 0, bytes) == -1) {
                    return s.address;
                }
            }
        }
        long at = upload(src, bytes);
        if (share) {
            shared.add(new Shared(MemorySegment.ofArray(src.asSlice(0, bytes).toArray(ValueLayout.JAVA_BYTE)), at));
        }
        return at;
    }

    long take(long bytes) {
        long size = (bytes + ALIGN - 1) / ALIGN * ALIGN;
        if (used + size > capacity) {
            if (used == 0) {
                grow(size); // nothing of this op lives here yet: replace the buffer now
            } else {
                // earlier operands of this op (of this segment, on a graphed device) live in the buffer; give this
                // one its own and grow at the next reset
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
