package dev.tandem.cuda;

import java.lang.foreign.MemorySegment;

/**
 * Everything the CUDA backend asks of a device, and nothing more: memory, copies, kernel launches by
 * name, and a barrier. {@link DriverDevice} is a real GPU through the CUDA driver API; {@link EmulatedDevice}
 * runs the same kernel sources on the CPU, so the backend's step logic and every kernel are tested on
 * machines without a GPU. Addresses are device addresses, opaque to the host.
 *
 * <p>Graphs: between {@link #beginCapture} and {@link #endCapture} the stream's launches, copies and
 * memsets are recorded into a graph instead of run; a graph is instantiated once and then launched again
 * and again, its arguments replaced by {@link #update} from a newer capture of the same shape. What needs
 * the host to wait ({@link #download}, {@link #synchronize}) is not allowed while capturing, and uploads
 * must then come from page-locked memory ({@link #allocHost}), which the graph reads when it runs.
 */
public interface CudaDevice extends AutoCloseable {
    /** The device in words, for logs and {@code backend.name()}. */
    String name();

    /** Allocates {@code bytes} of device memory (contents undefined). */
    long alloc(long bytes);

    void free(long address);

    /** Sets {@code bytes} bytes at {@code address} to {@code value}. */
    void memset(long address, int value, long bytes);

    /**
     * Copies {@code bytes} from host memory (heap or native) to the device; returns when src may be reused.
     * While capturing, src must be page-locked ({@link #allocHost}) and is read when the graph runs.
     */
    void upload(long dst, MemorySegment src, long bytes);

    /** Copies {@code bytes} from the device to host memory; returns when they are there. */
    void download(MemorySegment dst, long src, long bytes);

    /** Enqueues a copy into page-locked host memory ({@link #allocHost}); the bytes are there after {@link #synchronize}. */
    void downloadAsync(MemorySegment dst, long src, long bytes);

    /** Page-locked host memory of {@code bytes}, viewed as a segment: what copies inside a graph read and write. */
    MemorySegment allocHost(long bytes);

    void freeHost(MemorySegment host);

    /** Copies {@code bytes} within device memory, in launch order. */
    void copy(long dst, long src, long bytes);

    /** Launches a kernel of the Tandem kernel library by its {@code extern "C"} name. */
    void launch(String kernel, Dim3 grid, Dim3 block, int sharedBytes, KernelArgs args);

    /** Waits until every launch and copy issued so far has finished. */
    void synchronize();

    /** From now until {@link #endCapture}, launches, copies and memsets are recorded, not run. */
    void beginCapture();

    /** Ends the capture; returns the graph recorded since {@link #beginCapture}. */
    long endCapture();

    /** An executable graph of {@code graph}, to launch any number of times. */
    long instantiate(long graph);

    /**
     * Gives {@code exec} the arguments, addresses and sizes of {@code graph}, a capture of the same shape;
     * false (and {@code exec} unchanged) when the shapes differ and a new instantiation is needed.
     */
    boolean update(long exec, long graph);

    /** Enqueues the whole graph on the stream. */
    void launchGraph(long exec);

    void destroyGraph(long graph);

    void destroyExec(long exec);

    @Override
    void close();

    /** A CUDA grid or block shape. */
    record Dim3(int x, int y, int z) {
        public Dim3 {
            if (x < 1 || y < 1 || z < 1) {
                throw new IllegalArgumentException("empty launch dimension (" + x + ", " + y + ", " + z + ")");
            }
        }

        public static Dim3 of(int x) {
            return new Dim3(x, 1, 1);
        }

        public static Dim3 of(int x, int y) {
            return new Dim3(x, y, 1);
        }
    }
}
