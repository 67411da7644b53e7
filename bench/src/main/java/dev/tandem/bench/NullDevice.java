package dev.tandem.bench;

import dev.tandem.cuda.CudaDevice;
import dev.tandem.cuda.KernelArgs;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * A CUDA device that runs nothing and copies nothing: what the CUDA backend costs on the host (the Java
 * forward pass issuing its ops, staging, and with graphs their recording and relaunch checks) measured
 * without a GPU. Results are garbage; addresses are distinct and aligned, so the step logic runs as on a GPU.
 */
final class NullDevice implements CudaDevice {
    private final Arena arena = Arena.ofShared();
    private long next = 1L << 32;
    private long handles;

    @Override
    public String name() {
        return "null device (host side only)";
    }

    @Override
    public synchronized long alloc(long bytes) {
        long at = next;
        next += (Math.max(bytes, 1) + 255) / 256 * 256;
        return at;
    }

    @Override
    public void free(long address) {}

    @Override
    public void memset(long address, int value, long bytes) {}

    @Override
    public void upload(long dst, MemorySegment src, long bytes) {}

    @Override
    public void download(MemorySegment dst, long src, long bytes) {}

    @Override
    public void downloadAsync(MemorySegment dst, long src, long bytes) {}

    @Override
    public MemorySegment allocHost(long bytes) {
        return arena.allocate(Math.max(bytes, 1), 256);
    }

    @Override
    public void freeHost(MemorySegment host) {}

    @Override
    public void copy(long dst, long src, long bytes) {}

    @Override
    public void launch(String kernel, Dim3 grid, Dim3 block, int sharedBytes, KernelArgs args) {}

    @Override
    public void synchronize() {}

    @Override
    public void beginCapture() {}

    @Override
    public synchronized long endCapture() {
        return ++handles;
    }

    @Override
    public synchronized long instantiate(long graph) {
        return ++handles;
    }

    @Override
    public boolean update(long exec, long graph) {
        return true;
    }

    @Override
    public void launchGraph(long exec) {}

    @Override
    public void destroyGraph(long graph) {}

    @Override
    public void destroyExec(long exec) {}

    @Override
    public void close() {
        arena.close();
    }
}
