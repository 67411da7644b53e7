package dev.tandem.cuda;

import dev.tandem.core.TandemException;
import dev.tandem.kernels.KernelSources;

import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The CUDA kernels run on the CPU: the same .cu sources, compiled by g++ against a header that emulates
 * the CUDA execution model (blocks, shared memory, barriers, warp shuffles; see
 * {@code kernels/src/emulation}), in a native library the build packs into the kernels jar. Device
 * memory is host memory here, filled with NaN bytes when allocated so a kernel that reads what nobody
 * wrote shows it. Launches are serialised; it is a test device, a few hundred times slower than the CPU backend.
 *
 * <p>Graphs follow CUDA's rules, so the step logic above them is tested as a GPU would run it: a capture
 * records {@link StreamOp}s (an upload keeps its page-locked source and reads it when the graph runs), a
 * wait on the host while capturing or an upload from pageable memory is an error, and an update succeeds
 * only for a capture of the same shape.
 */
public final class EmulatedDevice implements CudaDevice {
    static final String LIBRARY = "emulation/libtandem_cuda_emu.so";
    private static volatile Library library;

    private final Library lib;
    private final Arena pinnedArena = Arena.ofShared();
    private final Set<MemorySegment> pinned = ConcurrentHashMap.newKeySet();
    private final Map<Long, List<StreamOp>> graphs = new ConcurrentHashMap<>();
    private final AtomicLong handles = new AtomicLong();
    private List<StreamOp> capture; // non-null while capturing

    private EmulatedDevice(Library lib) {
        this.lib = lib;
    }

    /** Opens the emulation, or throws a TandemException saying why it is not there. */
    public static EmulatedDevice open() {
        return new EmulatedDevice(library());
    }

    /** Null when the emulation can run here, else why not. */
    public static String unavailableReason() {
        try {
            library();
            return null;
        } catch (TandemException e) {
            return e.getMessage();
        }
    }

    private static Library library() {
        Library l = library;
        if (l == null) {
            synchronized (EmulatedDevice.class) {
                l = library;
                if (l == null) {
                    l = library = Library.load();
                }
            }
        }
        return l;
    }

    @Override
    public String name() {
        return "CUDA emulated on the CPU";
    }

    @Override
    public long alloc(long bytes) {
        try {
            long address = ((MemorySegment) lib.alloc.invokeExact(Math.max(bytes, 1))).address();
            if (address == 0) {
                throw new TandemException("emulated device: out of memory allocating " + bytes + " bytes");
            }
            return address;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    @Override
    public void free(long address) {
        try {
            lib.free.invokeExact(MemorySegment.ofAddress(address));
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    private static MemorySegment at(long address, long bytes) {
        return MemorySegment.ofAddress(address).reinterpret(bytes);
    }

    @Override
    public synchronized void memset(long address, int value, long bytes) {
        if (captured(new StreamOp.Memset(address, value, bytes))) {
            return;
        }
        at(address, bytes).fill((byte) value);
    }

    @Override
    public synchronized void upload(long dst, MemorySegment src, long bytes) {
        if (capture != null) {
            if (!isPinned(src, bytes)) {
                throw new IllegalStateException("an upload from pageable host memory while the stream is capturing");
            }
            capture.add(new StreamOp.Upload(dst, src, bytes));
            return;
        }
        MemorySegment.copy(src, 0, at(dst, bytes), 0, bytes);
    }

    @Override
    public synchronized void download(MemorySegment dst, long src, long bytes) {
        notCapturing("a synchronous download");
        MemorySegment.copy(at(src, bytes), 0, dst, 0, bytes);
    }

    @Override
    public synchronized void downloadAsync(MemorySegment dst, long src, long bytes) {
        if (!isPinned(dst, bytes)) {
            throw new IllegalArgumentException("an asynchronous download into pageable host memory");
        }
        if (captured(new StreamOp.Download(dst, src, bytes))) {
            return;
        }
        MemorySegment.copy(at(src, bytes), 0, dst, 0, bytes);
    }

    @Override
    public synchronized void copy(long dst, long src, long bytes) {
        if (captured(new StreamOp.Copy(dst, src, bytes))) {
            return;
        }
        MemorySegment.copy(at(src, bytes), 0, at(dst, bytes), 0, bytes);
    }

    @Override
    public MemorySegment allocHost(long bytes) {
        MemorySegment s = pinnedArena.allocate(Math.max(bytes, 1), 256);
        pinned.add(s);
        return s;
    }

    @Override
    public void freeHost(MemorySegment host) {
        if (!pinned.remove(host)) {
            throw new IllegalArgumentException("not page-locked memory of this device");
        }
        // the arena frees it with the device; a test device allocates a handful
    }

    private boolean isPinned(MemorySegment s, long bytes) {
        if (!s.isNative()) {
            return false;
        }
        for (MemorySegment p : pinned) {
            if (s.address() >= p.address() && s.address() + bytes <= p.address() + p.byteSize()) {
                return true;
            }
        }
        return false;
    }

    /** While capturing, records {@code op} for the graph (true); else false, and the caller runs it now. */
    private boolean captured(StreamOp op) {
        if (capture == null) {
            return false;
        }
        capture.add(op);
        return true;
    }

    private void notCapturing(String what) {
        if (capture != null) {
            throw new IllegalStateException(what + " while the stream is capturing (CUDA refuses it too)");
        }
    }

    @Override
    public synchronized void beginCapture() {
        notCapturing("a second capture");
        capture = new ArrayList<>();
    }

    @Override
    public synchronized long endCapture() {
        if (capture == null) {
            throw new IllegalStateException("no capture to end");
        }
        long graph = handles.incrementAndGet();
        graphs.put(graph, List.copyOf(capture));
        capture = null;
        return graph;
    }

    @Override
    public long instantiate(long graph) {
        long exec = handles.incrementAndGet();
        graphs.put(exec, graph(graph));
        return exec;
    }

    @Override
    public boolean update(long exec, long graph) {
        List<StreamOp> now = graph(graph);
        if (!StreamOp.shapes(graph(exec)).equals(StreamOp.shapes(now))) {
            return false;
        }
        graphs.put(exec, now);
        return true;
    }

    @Override
    public synchronized void launchGraph(long exec) {
        notCapturing("a graph launch"); // CUDA can capture one as a child graph; the step logic never asks it
        for (StreamOp op : graph(exec)) {
            op.issue(this);
        }
    }

    @Override
    public void destroyGraph(long graph) {
        graphs.remove(graph);
    }

    @Override
    public void destroyExec(long exec) {
        destroyGraph(exec); // graphs and executable graphs share one table here
    }

    private List<StreamOp> graph(long handle) {
        List<StreamOp> g = graphs.get(handle);
        if (g == null) {
            throw new IllegalArgumentException("no graph " + handle + " on this device");
        }
        return g;
    }

    /** Graphs and executable graphs alive on this device: a test sees that none leak. */
    public int liveGraphs() {
        return graphs.size();
    }

    @Override
    public synchronized void launch(String kernel, Dim3 grid, Dim3 block, int sharedBytes, KernelArgs args) {
        if (captured(new StreamOp.Launch(kernel, grid, block, sharedBytes, args))) {
            return;
        }
        try (Arena arena = Arena.ofConfined()) {
            int rc = (int) lib.launch.invokeExact(arena.allocateFrom(kernel), grid.x(), grid.y(), grid.z(),
                    block.x(), block.y(), block.z(), sharedBytes, args.pack(arena));
            if (rc != 0) {
                MemorySegment message = (MemorySegment) lib.error.invokeExact();
                throw new TandemException("CUDA emulation: " + message.reinterpret(4096).getString(0));
            }
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    @Override
    public synchronized void synchronize() {
        notCapturing("a stream synchronization");
        // launches and copies complete before they return
    }

    @Override
    public synchronized void close() {
        // the library stays loaded for the JVM's life; device memory is freed by its owner
        if (pinnedArena.scope().isAlive()) {
            pinnedArena.close();
        }
    }

    /** Whether the library has a kernel of that name (every kernel of the sources is registered). */
    public boolean hasKernel(String kernel) {
        try (Arena arena = Arena.ofConfined()) {
            return (int) lib.hasKernel.invokeExact(arena.allocateFrom(kernel)) != 0;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    private static RuntimeException rethrow(Throwable t) {
        if (t instanceof RuntimeException r) {
            return r;
        }
        if (t instanceof Error e) {
            throw e;
        }
        return new IllegalStateException(t);
    }

    private record Library(MethodHandle launch, MethodHandle error, MethodHandle hasKernel, MethodHandle alloc,
                           MethodHandle free) {
        static Library load() {
            Path file;
            try (InputStream in = KernelSources.class.getResourceAsStream(LIBRARY)) {
                if (in == null) {
                    throw new TandemException("the CUDA emulation library is not in the kernels jar: the build found no g++"
                            + " (kernels/src/emulation/build-emulation.sh)");
                }
                file = Files.createTempFile("tandem-cuda-emu", ".so");
                file.toFile().deleteOnExit();
                Files.copy(in, file, StandardCopyOption.REPLACE_EXISTING);
            } catch (IOException e) {
                throw new TandemException("cannot unpack the CUDA emulation library: " + e.getMessage());
            }
            SymbolLookup symbols = SymbolLookup.libraryLookup(file, Arena.global());
            Linker linker = Linker.nativeLinker();
            var i = ValueLayout.JAVA_INT;
            var p = ValueLayout.ADDRESS;
            return new Library(
                    linker.downcallHandle(symbols.findOrThrow("tdm_emu_launch"), FunctionDescriptor.of(i, p, i, i, i, i, i, i, i, p)),
                    linker.downcallHandle(symbols.findOrThrow("tdm_emu_error"), FunctionDescriptor.of(p)),
                    linker.downcallHandle(symbols.findOrThrow("tdm_emu_has_kernel"), FunctionDescriptor.of(i, p)),
                    linker.downcallHandle(symbols.findOrThrow("tdm_emu_alloc"), FunctionDescriptor.of(p, ValueLayout.JAVA_LONG)),
                    linker.downcallHandle(symbols.findOrThrow("tdm_emu_free"), FunctionDescriptor.ofVoid(p)));
        }
    }
}
