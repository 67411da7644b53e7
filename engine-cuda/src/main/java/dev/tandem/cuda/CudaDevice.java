package dev.tandem.cuda;

import java.lang.foreign.MemorySegment;

/**
 * Everything the CUDA backend asks of a device, and nothing more: memory, copies, kernel launches by
 * name, and a barrier. {@link DriverDevice} is a real GPU through the CUDA driver API; {@link EmulatedDevice}
 * runs the same kernel sources on the CPU, so the backend's step logic and every kernel are tested on
 * machines without a GPU. Addresses are device addresses, opaque to the host.
 */
public interface CudaDevice extends AutoCloseable {
    /** The device in words, for logs and {@code backend.name()}. */
    String name();

    /** Allocates {@code bytes} of device memory (contents undefined). */
    long alloc(long bytes);

    void free(long address);

    /** Sets {@code bytes} bytes at {@code address} to {@code value}. */
    void memset(long address, int value, long bytes);

    /** Copies {@code bytes} from host memory (heap or native) to the device; returns when src may be reused. */
    void upload(long dst, MemorySegment src, long bytes);

    /** Copies {@code bytes} from the device to host memory; returns when they are there. */
    void download(MemorySegment dst, long src, long bytes);

    /** Copies {@code bytes} within device memory, in launch order. */
    void copy(long dst, long src, long bytes);

    /** Launches a kernel of the Tandem kernel library by its {@code extern "C"} name. */
    void launch(String kernel, Dim3 grid, Dim3 block, int sharedBytes, KernelArgs args);

    /** Waits until every launch and copy issued so far has finished. */
    void synchronize();

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
