package dev.tandem.cuda;

import dev.tandem.cuda.CudaDevice.Dim3;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

/**
 * One operation enqueued on a device's stream: what {@link GraphedDevice} records for a step and what a
 * captured graph holds. {@link #issue} enqueues it on a device; {@link #shape} is what a graph update cannot
 * change (which kernel, at which launch shape, how many bytes), so two steps with equal shapes share a graph
 * and differ only in arguments and addresses.
 */
sealed interface StreamOp {
    record Launch(String kernel, Dim3 grid, Dim3 block, int sharedBytes, KernelArgs args) implements StreamOp {}

    record Copy(long dst, long src, long bytes) implements StreamOp {}

    record Memset(long address, int value, long bytes) implements StreamOp {}

    /** From page-locked host memory: a graph reads {@code src} when it runs, not when it was captured. */
    record Upload(long dst, MemorySegment src, long bytes) implements StreamOp {}

    /** Into page-locked host memory; the bytes are there once the stream is synchronized. */
    record Download(MemorySegment dst, long src, long bytes) implements StreamOp {}

    default void issue(CudaDevice device) {
        switch (this) {
            case Launch l -> device.launch(l.kernel, l.grid, l.block, l.sharedBytes, l.args);
            case Copy c -> device.copy(c.dst, c.src, c.bytes);
            case Memset m -> device.memset(m.address, m.value, m.bytes);
            case Upload u -> device.upload(u.dst, u.src, u.bytes);
            case Download d -> device.downloadAsync(d.dst, d.src, d.bytes);
        }
    }

    /** What a graph update cannot change in a run of ops: each op's {@link #shape}, in order. */
    static List<Object> shapes(List<StreamOp> ops) {
        List<Object> shape = new ArrayList<>(ops.size());
        for (StreamOp op : ops) {
            shape.add(op.shape());
        }
        return shape;
    }

    default Object shape() {
        return switch (this) {
            case Launch l -> List.of(l.kernel, l.grid, l.block, l.sharedBytes, l.args.count());
            case Copy c -> List.of("copy", c.bytes);
            case Memset m -> List.of("memset", m.value, m.bytes);
            case Upload u -> List.of("upload", u.bytes);
            case Download d -> List.of("download", d.bytes);
        };
    }
}
