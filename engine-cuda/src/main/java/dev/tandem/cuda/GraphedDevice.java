package dev.tandem.cuda;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A device whose stream work runs as CUDA graphs: launches, copies and memsets are recorded until the host
 * needs a result (a download, a synchronize, a free), and that segment, in a decode step the whole forward
 * pass and the read-back of its logits or accepted rows, is launched as one graph. Small inputs (tokens,
 * positions, tree parents) are copied into a page-locked step buffer as they are recorded, so the graph's
 * uploads read them from there when it runs.
 *
 * <p>One executable graph is kept per shape of segment (which kernels at which launch shapes, which copy
 * sizes): in decoding that is one per (rows, tree shape) bucket, since the row count fixes the grids. A
 * segment whose ops equal the last run of its shape relaunches the graph as it is; one that differs in
 * arguments only (the attention's cached length, a KV slot's address) is captured again and handed to the
 * kept graph by {@link CudaDevice#update}, which costs far less than instantiating; a new shape is
 * instantiated. Segments of fewer than {@link #MIN_OPS} ops run as plain launches. A driver that refuses a graph
 * or page-locked memory call turns graphs off for good ({@link Stats#fallback}): the ops then run as plain
 * launches, so a new driver problem costs speed, not the run.
 */
public final class GraphedDevice implements CudaDevice {
    /** Shorter segments run directly: capturing and launching a graph costs more than two launches save. */
    static final int MIN_OPS = 3;
    /** Uploads larger than this (weights, on first use) bypass the step buffer: flushed, then copied directly. */
    static final long STEP_BUFFER_LIMIT = 1 << 20;
    /** Executable graphs kept; the least recently used shape is destroyed beyond this. */
    static final int MAX_GRAPHS = 64;
    private static final long ALIGN = 64;

    private final CudaDevice device;
    private final List<StreamOp> pending = new ArrayList<>();
    private final LinkedHashMap<List<Object>, Exec> execs = new LinkedHashMap<>(16, 0.75f, true);
    private MemorySegment stepBuffer;
    private long stepBufferUsed;
    private boolean issued; // work reached the device since the last synchronize
    private long segments, opsRun, direct, instantiated, updated, relaunched;
    private long generation; // segments flushed: what a segment's staging lives for
    private String fallback;
    private Exec latest; // the graph launched last

    /**
     * What the graphs have done so far: segments flushed, and how each ran; {@code fallback} is null, or why graphs
     * were given up (a graph or page-locked memory call the driver refused), after which every op runs directly.
     */
    public record Stats(long segments, long ops, long direct, long instantiated, long updated, long relaunched, String fallback) {
        /** Segments launched as a graph. */
        public long graphLaunches() {
            return instantiated + updated + relaunched;
        }
    }

    private static final class Exec {
        final long handle;
        List<StreamOp> last;

        Exec(long handle, List<StreamOp> last) {
            this.handle = handle;
            this.last = last;
        }
    }

    public GraphedDevice(CudaDevice device) {
        this.device = device;
    }

    /** Whether backends use graphs unless told: {@code -Dtandem.cuda.graphs=false} turns them off. */
    public static boolean enabledByDefault() {
        return !"false".equalsIgnoreCase(System.getProperty("tandem.cuda.graphs", "true"));
    }

    public synchronized Stats stats() {
        return new Stats(segments, opsRun, direct, instantiated, updated, relaunched, fallback);
    }

    /**
     * Changes each time what was recorded has run: device memory the ops of one segment stage their inputs in
     * ({@code Staging}) may be shared between those ops until then, and reused after.
     */
    public synchronized long generation() {
        return generation;
    }

    @Override
    public String name() {
        return device.name() + ", CUDA graphs";
    }

    @Override
    public long alloc(long bytes) {
        return device.alloc(bytes);
    }

    @Override
    public synchronized void free(long address) {
        flush(); // recorded ops may use it
        device.free(address);
    }

    @Override
    public synchronized void memset(long address, int value, long bytes) {
        record(new StreamOp.Memset(address, value, bytes));
    }

    @Override
    public synchronized void upload(long dst, MemorySegment src, long bytes) {
        MemorySegment slot = bytes <= STEP_BUFFER_LIMIT ? stepSlot(bytes) : null;
        if (slot != null) {
            MemorySegment.copy(src, 0, slot, 0, bytes);
            pending.add(new StreamOp.Upload(dst, slot, bytes));
        } else { // a weight on first use between segments, or graphs off: straight from its memory
            if (fallback == null) {
                flush();
            }
            device.upload(dst, src, bytes);
            issued = true;
        }
    }

    /** An op of the current segment; with graphs off, issued at once, as a plain device would (no wait added). */
    private void record(StreamOp op) {
        if (fallback == null) {
            pending.add(op);
        } else {
            op.issue(device);
            issued = true;
        }
    }

    @Override
    public synchronized void download(MemorySegment dst, long src, long bytes) {
        MemorySegment slot = bytes <= STEP_BUFFER_LIMIT ? stepSlot(bytes) : null;
        if (slot == null) {
            flush();
            device.download(dst, src, bytes);
            return;
        }
        pending.add(new StreamOp.Download(slot, src, bytes));
        flush(); // the segment with its read-back at the end: one graph
        MemorySegment.copy(slot, 0, dst, 0, bytes);
    }

    @Override
    public synchronized void downloadAsync(MemorySegment dst, long src, long bytes) {
        record(new StreamOp.Download(dst, src, bytes));
    }

    @Override
    public synchronized void copy(long dst, long src, long bytes) {
        record(new StreamOp.Copy(dst, src, bytes));
    }

    @Override
    public synchronized void launch(String kernel, Dim3 grid, Dim3 block, int sharedBytes, KernelArgs args) {
        record(new StreamOp.Launch(kernel, grid, block, sharedBytes, args));
    }

    @Override
    public synchronized void synchronize() {
        flush();
    }

    @Override
    public MemorySegment allocHost(long bytes) {
        return device.allocHost(bytes);
    }

    @Override
    public synchronized void freeHost(MemorySegment host) {
        flush();
        device.freeHost(host);
    }

    /** Runs what is recorded, as a graph where it pays, and waits for it; the step buffer is free again after. */
    private void flush() {
        if (!pending.isEmpty()) {
            List<StreamOp> ops = List.copyOf(pending);
            pending.clear();
            run(ops);
            issued = true;
        }
        if (issued) {
            device.synchronize();
            issued = false;
        }
        stepBufferUsed = 0;
        generation++;
    }

    private void run(List<StreamOp> ops) {
        segments++;
        opsRun += ops.size();
        Exec exec = fallback == null && ops.size() >= MIN_OPS ? graphFor(ops) : null;
        if (exec != null) {
            device.launchGraph(exec.handle);
        } else {
            direct++;
            ops.forEach(op -> op.issue(device));
        }
    }

    /**
     * The executable graph of these ops: kept as it is, updated or instantiated; null after a refused graph call
     * (nothing of {@code ops} has run then: a capture only records), which turns graphs off for good.
     */
    private Exec graphFor(List<StreamOp> ops) {
        if (latest != null && latest.last.equals(ops)) { // a decode step like the one before: no shapes to build or hash
            relaunched++;
            return latest;
        }
        latest = graphOfShape(ops);
        return latest;
    }

    private Exec graphOfShape(List<StreamOp> ops) {
        List<Object> shape = StreamOp.shapes(ops);
        Exec exec = execs.get(shape);
        if (exec != null && exec.last.equals(ops)) {
            relaunched++;
            return exec;
        }
        try {
            long graph = capture(ops);
            try {
                if (exec != null && device.update(exec.handle, graph)) {
                    updated++;
                    exec.last = ops;
                    return exec;
                }
                if (exec != null) {
                    execs.remove(shape);
                    device.destroyExec(exec.handle);
                }
                exec = new Exec(device.instantiate(graph), ops);
                instantiated++;
                execs.put(shape, exec);
                evictBeyondLimit();
                return exec;
            } finally {
                device.destroyGraph(graph);
            }
        } catch (RuntimeException e) {
            fallBack(e);
            return null;
        }
    }

    /** Gives graphs up for good, saying why in the stats: every op runs directly from here on. */
    private void fallBack(RuntimeException why) {
        fallback = why.getMessage() != null ? why.getMessage() : why.toString();
    }

    private long capture(List<StreamOp> ops) {
        device.beginCapture();
        try {
            ops.forEach(op -> op.issue(device));
        } catch (RuntimeException e) {
            device.destroyGraph(device.endCapture());
            throw e;
        }
        return device.endCapture();
    }

    private void evictBeyondLimit() {
        Iterator<Map.Entry<List<Object>, Exec>> it = execs.entrySet().iterator();
        while (execs.size() > MAX_GRAPHS && it.hasNext()) { // never the one just put, which graphFor makes the latest
            device.destroyExec(it.next().getValue().handle);
            it.remove();
        }
    }

    /**
     * A slice of the page-locked step buffer for this segment, flushing first when the segment has filled it; null
     * when graphs are off (or page-locked memory was refused), and the copy then goes directly.
     */
    private MemorySegment stepSlot(long bytes) {
        if (fallback != null) {
            return null;
        }
        long size = (bytes + ALIGN - 1) / ALIGN * ALIGN;
        long capacity = stepBuffer == null ? 0 : stepBuffer.byteSize();
        if (stepBufferUsed + size > capacity) {
            flush(); // recorded uploads read the buffer when they run: run them before it is reused or replaced
            if (size > capacity) {
                if (stepBuffer != null) {
                    device.freeHost(stepBuffer);
                    stepBuffer = null;
                }
                try {
                    stepBuffer = device.allocHost(Math.max(size, Math.max(2 * capacity, 1 << 16)));
                } catch (RuntimeException e) {
                    fallBack(e);
                    return null;
                }
            }
        }
        MemorySegment slot = stepBuffer.asSlice(stepBufferUsed, bytes);
        stepBufferUsed += size;
        return slot;
    }

    // A graphed device makes, keeps and launches its own graphs; nothing above it does.

    @Override
    public void beginCapture() {
        throw ownGraphs();
    }

    @Override
    public long endCapture() {
        throw ownGraphs();
    }

    @Override
    public long instantiate(long graph) {
        throw ownGraphs();
    }

    @Override
    public boolean update(long exec, long graph) {
        throw ownGraphs();
    }

    @Override
    public void launchGraph(long exec) {
        throw ownGraphs();
    }

    @Override
    public void destroyGraph(long graph) {
        throw ownGraphs();
    }

    @Override
    public void destroyExec(long exec) {
        throw ownGraphs();
    }

    private static UnsupportedOperationException ownGraphs() {
        return new UnsupportedOperationException("a graphed device captures and launches its own graphs");
    }

    @Override
    public synchronized void close() {
        flush();
        for (Exec e : execs.values()) {
            device.destroyExec(e.handle);
        }
        execs.clear();
        latest = null;
        if (stepBuffer != null) {
            device.freeHost(stepBuffer);
            stepBuffer = null;
        }
        device.close();
    }
}
