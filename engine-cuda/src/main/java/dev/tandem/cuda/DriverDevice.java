package dev.tandem.cuda;

import dev.tandem.core.TandemException;
import dev.tandem.kernels.KernelSources;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A real GPU through the CUDA driver API ({@code libcuda.so.1}), called with the JDK's FFM API: a primary
 * context, one non-blocking stream for every copy and launch, and the kernel library's PTX (sm_90 on
 * Hopper and later, else sm_80) loaded with {@code cuModuleLoadData}. No JNI library or CUDA toolkit is
 * needed at run time, only the driver.
 */
public final class DriverDevice implements CudaDevice {
    private static final int ATTRIBUTE_CC_MAJOR = 75;
    private static final int ATTRIBUTE_CC_MINOR = 76;
    private static final int ERROR_NOT_FOUND = 500;
    private static final int ERROR_GRAPH_EXEC_UPDATE_FAILURE = 910;
    private static final int CAPTURE_MODE_RELAXED = 2; // the capture never runs other API calls between its ops

    private final Driver cu;
    private final Arena arena = Arena.ofShared();
    private final int ordinal;
    private final String name;
    private final MemorySegment context;
    private final MemorySegment stream;
    private final List<MemorySegment> modules = new ArrayList<>();
    private final Map<String, MemorySegment> functions = new java.util.concurrent.ConcurrentHashMap<>();

    private DriverDevice(Driver cu, int ordinal) {
        this.cu = cu;
        this.ordinal = ordinal;
        try (Arena a = Arena.ofConfined()) {
            MemorySegment dev = a.allocate(ValueLayout.JAVA_INT);
            cu.check((int) cu.deviceGet.invokeExact(dev, ordinal), "cuDeviceGet");
            int device = dev.get(ValueLayout.JAVA_INT, 0);
            MemorySegment ctx = a.allocate(ValueLayout.ADDRESS);
            cu.check((int) cu.primaryCtxRetain.invokeExact(ctx, device), "cuDevicePrimaryCtxRetain");
            this.context = ctx.get(ValueLayout.ADDRESS, 0);
            cu.check((int) cu.ctxSetCurrent.invokeExact(context), "cuCtxSetCurrent");
            MemorySegment text = a.allocate(256);
            cu.check((int) cu.deviceGetName.invokeExact(text, 256, device), "cuDeviceGetName");
            MemorySegment major = a.allocate(ValueLayout.JAVA_INT);
            MemorySegment minor = a.allocate(ValueLayout.JAVA_INT);
            cu.check((int) cu.deviceGetAttribute.invokeExact(major, ATTRIBUTE_CC_MAJOR, device), "cuDeviceGetAttribute");
            cu.check((int) cu.deviceGetAttribute.invokeExact(minor, ATTRIBUTE_CC_MINOR, device), "cuDeviceGetAttribute");
            int cc = 10 * major.get(ValueLayout.JAVA_INT, 0) + minor.get(ValueLayout.JAVA_INT, 0);
            this.name = text.getString(0) + " (sm_" + cc + ")";
            if (cc < 80) {
                throw new TandemException("the CUDA backend needs compute capability 8.0 or newer; " + name + " is " + cc / 10 + "." + cc % 10);
            }
            MemorySegment s = a.allocate(ValueLayout.ADDRESS);
            cu.check((int) cu.streamCreate.invokeExact(s, 1), "cuStreamCreate"); // CU_STREAM_NON_BLOCKING
            this.stream = s.get(ValueLayout.ADDRESS, 0);
            String arch = cc >= 90 ? "sm_90" : "sm_80";
            for (String file : KernelSources.FILES) {
                String ptx = KernelSources.ptx(file, arch);
                if (ptx == null) {
                    throw new TandemException("this build has no PTX for " + file + " (" + arch + "): nvcc was missing when it was built");
                }
                MemorySegment module = a.allocate(ValueLayout.ADDRESS);
                cu.check((int) cu.moduleLoadData.invokeExact(module, arena.allocateFrom(ptx)), "cuModuleLoadData(" + file + ")");
                modules.add(module.get(ValueLayout.ADDRESS, 0));
            }
        } catch (TandemException e) {
            throw e;
        } catch (Throwable t) {
            throw new TandemException("CUDA initialisation failed: " + t);
        }
    }

    /** Opens GPU {@code ordinal}, or throws a one-line TandemException saying why it cannot. */
    public static DriverDevice open(int ordinal) {
        return new DriverDevice(Driver.load(), ordinal);
    }

    /** Null when a CUDA GPU can be used here, else why not, in one line. */
    public static String unavailableReason() {
        try {
            Driver cu = Driver.load();
            try (Arena a = Arena.ofConfined()) {
                MemorySegment count = a.allocate(ValueLayout.JAVA_INT);
                cu.check((int) cu.deviceGetCount.invokeExact(count), "cuDeviceGetCount");
                if (count.get(ValueLayout.JAVA_INT, 0) == 0) {
                    return "the CUDA driver reports no GPU on this machine; use --device cpu";
                }
            }
            return null;
        } catch (TandemException e) {
            return e.getMessage();
        } catch (Throwable t) {
            return "CUDA is not usable here: " + t;
        }
    }

    @Override
    public String name() {
        return name + ", GPU " + ordinal;
    }

    @Override
    public long alloc(long bytes) {
        return handle(out -> (int) cu.memAlloc.invokeExact(out, Math.max(bytes, 1)), "cuMemAlloc of " + bytes + " bytes");
    }

    @Override
    public void free(long address) {
        call(() -> (int) cu.memFree.invokeExact(address), "cuMemFree");
    }

    @Override
    public void memset(long address, int value, long bytes) {
        call(() -> (int) cu.memsetD8Async.invokeExact(address, (byte) value, bytes, stream), "cuMemsetD8Async");
    }

    @Override
    public void upload(long dst, MemorySegment src, long bytes) {
        // from pageable memory the driver has copied src out by the time the call returns
        call(() -> (int) cu.memcpyHtoDAsync.invokeExact(dst, src, bytes, stream), "cuMemcpyHtoDAsync");
    }

    @Override
    public void download(MemorySegment dst, long src, long bytes) {
        call(() -> (int) cu.memcpyDtoHAsync.invokeExact(dst, src, bytes, stream), "cuMemcpyDtoHAsync");
        synchronize();
    }

    @Override
    public void downloadAsync(MemorySegment dst, long src, long bytes) {
        call(() -> (int) cu.memcpyDtoHAsync.invokeExact(dst, src, bytes, stream), "cuMemcpyDtoHAsync");
    }

    @Override
    public MemorySegment allocHost(long bytes) {
        long address = handle(out -> (int) need(cu.memAllocHost, "cuMemAllocHost_v2").invokeExact(out, Math.max(bytes, 1)), "cuMemAllocHost of " + bytes + " bytes");
        return MemorySegment.ofAddress(address).reinterpret(bytes);
    }

    @Override
    public void freeHost(MemorySegment host) {
        call(() -> (int) need(cu.memFreeHost, "cuMemFreeHost").invokeExact(host), "cuMemFreeHost");
    }

    @Override
    public void beginCapture() {
        call(() -> (int) need(cu.streamBeginCapture, "cuStreamBeginCapture_v2").invokeExact(stream, CAPTURE_MODE_RELAXED), "cuStreamBeginCapture");
    }

    @Override
    public long endCapture() {
        return handle(out -> (int) need(cu.streamEndCapture, "cuStreamEndCapture").invokeExact(stream, out), "cuStreamEndCapture");
    }

    @Override
    public long instantiate(long graph) {
        return handle(out -> (int) need(cu.graphInstantiate, "cuGraphInstantiateWithFlags").invokeExact(out, MemorySegment.ofAddress(graph), 0L),
                "cuGraphInstantiateWithFlags");
    }

    @Override
    public boolean update(long exec, long graph) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment info = a.allocate(24, 8); // CUgraphExecUpdateResultInfo: result, error node, error-from node
            bind();
            int rc = (int) need(cu.graphExecUpdate, "cuGraphExecUpdate_v2").invokeExact(MemorySegment.ofAddress(exec), MemorySegment.ofAddress(graph), info);
            if (rc == ERROR_GRAPH_EXEC_UPDATE_FAILURE) {
                return false;
            }
            cu.check(rc, "cuGraphExecUpdate");
            return true;
        } catch (Throwable t) {
            throw Driver.rethrow(t);
        }
    }

    @Override
    public void launchGraph(long exec) {
        call(() -> (int) need(cu.graphLaunch, "cuGraphLaunch").invokeExact(MemorySegment.ofAddress(exec), stream), "cuGraphLaunch");
    }

    @Override
    public void destroyGraph(long graph) {
        call(() -> (int) need(cu.graphDestroy, "cuGraphDestroy").invokeExact(MemorySegment.ofAddress(graph)), "cuGraphDestroy");
    }

    @Override
    public void destroyExec(long exec) {
        call(() -> (int) need(cu.graphExecDestroy, "cuGraphExecDestroy").invokeExact(MemorySegment.ofAddress(exec)), "cuGraphExecDestroy");
    }

    /** An entry point this driver may lack (graphs, page-locked memory), or a one-line error naming it. */
    private static MethodHandle need(MethodHandle h, String name) {
        if (h == null) {
            throw new TandemException("this CUDA driver has no " + name);
        }
        return h;
    }

    private interface HandleCall {
        int run(MemorySegment out) throws Throwable;
    }

    /** A call that writes a pointer or handle (memory, a graph, an executable graph) through its first argument. */
    private long handle(HandleCall c, String what) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment out = a.allocate(ValueLayout.ADDRESS);
            bind();
            cu.check(c.run(out), what);
            return out.get(ValueLayout.ADDRESS, 0).address();
        } catch (Throwable t) {
            throw Driver.rethrow(t);
        }
    }

    @Override
    public void copy(long dst, long src, long bytes) {
        call(() -> (int) cu.memcpyDtoDAsync.invokeExact(dst, src, bytes, stream), "cuMemcpyDtoDAsync");
    }

    @Override
    public void launch(String kernel, Dim3 grid, Dim3 block, int sharedBytes, KernelArgs args) {
        MemorySegment f = function(kernel);
        try (Arena a = Arena.ofConfined()) {
            MemorySegment params = args.pack(a);
            call(() -> (int) cu.launchKernel.invokeExact(f, grid.x(), grid.y(), grid.z(), block.x(), block.y(), block.z(),
                    sharedBytes, stream, params, MemorySegment.NULL), "cuLaunchKernel(" + kernel + ")");
        }
    }

    private MemorySegment function(String kernel) {
        MemorySegment f = functions.get(kernel);
        if (f != null) {
            return f;
        }
        try (Arena a = Arena.ofConfined()) {
            MemorySegment out = a.allocate(ValueLayout.ADDRESS);
            MemorySegment cname = a.allocateFrom(kernel);
            bind();
            for (MemorySegment module : modules) {
                int rc = (int) cu.moduleGetFunction.invokeExact(out, module, cname);
                if (rc == 0) {
                    f = out.get(ValueLayout.ADDRESS, 0);
                    functions.put(kernel, f);
                    return f;
                }
                if (rc != ERROR_NOT_FOUND) {
                    cu.check(rc, "cuModuleGetFunction(" + kernel + ")");
                }
            }
        } catch (Throwable t) {
            throw Driver.rethrow(t);
        }
        throw new TandemException("no CUDA kernel named " + kernel + " in the kernel library");
    }

    @Override
    public void synchronize() {
        call(() -> (int) cu.streamSynchronize.invokeExact(stream), "cuStreamSynchronize");
    }

    @Override
    public void close() {
        synchronize();
        arena.close();
    }

    private interface Call {
        int run() throws Throwable;
    }

    /**
     * Makes the context current on the calling thread: CUDA binds contexts to OS threads, and the engine calls
     * from whichever thread (a virtual thread's carrier included) runs the generation. Cheap, and no
     * virtual thread changes carrier between this and the call it precedes, since neither blocks.
     */
    private void bind() throws Throwable {
        cu.check((int) cu.ctxSetCurrent.invokeExact(context), "cuCtxSetCurrent");
    }

    private void call(Call c, String what) {
        try {
            bind();
            cu.check(c.run(), what);
        } catch (Throwable t) {
            throw Driver.rethrow(t);
        }
    }

    /** The driver entry points this device uses, bound once per JVM. */
    private record Driver(MethodHandle init, MethodHandle deviceGetCount, MethodHandle deviceGet, MethodHandle deviceGetName,
                          MethodHandle deviceGetAttribute, MethodHandle primaryCtxRetain, MethodHandle ctxSetCurrent,
                          MethodHandle streamCreate, MethodHandle streamSynchronize, MethodHandle moduleLoadData,
                          MethodHandle moduleGetFunction, MethodHandle memAlloc, MethodHandle memFree, MethodHandle memsetD8Async,
                          MethodHandle memcpyHtoDAsync, MethodHandle memcpyDtoHAsync, MethodHandle memcpyDtoDAsync,
                          MethodHandle launchKernel, MethodHandle getErrorName, MethodHandle memAllocHost,
                          MethodHandle memFreeHost, MethodHandle streamBeginCapture, MethodHandle streamEndCapture,
                          MethodHandle graphInstantiate, MethodHandle graphExecUpdate, MethodHandle graphLaunch,
                          MethodHandle graphDestroy, MethodHandle graphExecDestroy) {
        private static volatile Driver loaded;

        static Driver load() {
            Driver d = loaded;
            if (d == null) {
                synchronized (Driver.class) {
                    if (loaded == null) {
                        loaded = bind();
                    }
                    d = loaded;
                }
            }
            return d;
        }

        private static Driver bind() {
            SymbolLookup lib;
            try {
                lib = SymbolLookup.libraryLookup("libcuda.so.1", Arena.global());
            } catch (IllegalArgumentException e) {
                throw new TandemException("no CUDA driver on this machine (libcuda.so.1 not found); use --device cpu");
            }
            Linker linker = Linker.nativeLinker();
            var i = ValueLayout.JAVA_INT;
            var l = ValueLayout.JAVA_LONG;
            var p = ValueLayout.ADDRESS;
            Linker.Option heap = Linker.Option.critical(true); // host buffers may be Java arrays
            java.util.function.BiFunction<String, FunctionDescriptor, MethodHandle> f =
                    (name, fd) -> linker.downcallHandle(lib.findOrThrow(name), fd);
            // graphs and page-locked memory: an older driver without them still runs op by op (GraphedDevice falls back)
            java.util.function.BiFunction<String, FunctionDescriptor, MethodHandle> optional =
                    (name, fd) -> lib.find(name).map(s -> linker.downcallHandle(s, fd)).orElse(null);
            Driver d = new Driver(
                    f.apply("cuInit", FunctionDescriptor.of(i, i)),
                    f.apply("cuDeviceGetCount", FunctionDescriptor.of(i, p)),
                    f.apply("cuDeviceGet", FunctionDescriptor.of(i, p, i)),
                    f.apply("cuDeviceGetName", FunctionDescriptor.of(i, p, i, i)),
                    f.apply("cuDeviceGetAttribute", FunctionDescriptor.of(i, p, i, i)),
                    f.apply("cuDevicePrimaryCtxRetain", FunctionDescriptor.of(i, p, i)),
                    f.apply("cuCtxSetCurrent", FunctionDescriptor.of(i, p)),
                    f.apply("cuStreamCreate", FunctionDescriptor.of(i, p, i)),
                    f.apply("cuStreamSynchronize", FunctionDescriptor.of(i, p)),
                    f.apply("cuModuleLoadData", FunctionDescriptor.of(i, p, p)),
                    f.apply("cuModuleGetFunction", FunctionDescriptor.of(i, p, p, p)),
                    f.apply("cuMemAlloc_v2", FunctionDescriptor.of(i, p, l)),
                    f.apply("cuMemFree_v2", FunctionDescriptor.of(i, l)),
                    f.apply("cuMemsetD8Async", FunctionDescriptor.of(i, l, ValueLayout.JAVA_BYTE, l, p)),
                    linker.downcallHandle(lib.findOrThrow("cuMemcpyHtoDAsync_v2"), FunctionDescriptor.of(i, l, p, l, p), heap),
                    linker.downcallHandle(lib.findOrThrow("cuMemcpyDtoHAsync_v2"), FunctionDescriptor.of(i, p, l, l, p), heap),
                    f.apply("cuMemcpyDtoDAsync_v2", FunctionDescriptor.of(i, l, l, l, p)),
                    f.apply("cuLaunchKernel", FunctionDescriptor.of(i, p, i, i, i, i, i, i, i, p, p, p)),
                    f.apply("cuGetErrorName", FunctionDescriptor.of(i, i, p)),
                    optional.apply("cuMemAllocHost_v2", FunctionDescriptor.of(i, p, l)),
                    optional.apply("cuMemFreeHost", FunctionDescriptor.of(i, p)),
                    optional.apply("cuStreamBeginCapture_v2", FunctionDescriptor.of(i, p, i)),
                    optional.apply("cuStreamEndCapture", FunctionDescriptor.of(i, p, p)),
                    optional.apply("cuGraphInstantiateWithFlags", FunctionDescriptor.of(i, p, p, l)),
                    optional.apply("cuGraphExecUpdate_v2", FunctionDescriptor.of(i, p, p, p)),
                    optional.apply("cuGraphLaunch", FunctionDescriptor.of(i, p, p)),
                    optional.apply("cuGraphDestroy", FunctionDescriptor.of(i, p)),
                    optional.apply("cuGraphExecDestroy", FunctionDescriptor.of(i, p)));
            try {
                d.check((int) d.init.invokeExact(0), "cuInit");
            } catch (Throwable t) {
                throw rethrow(t);
            }
            return d;
        }

        void check(int rc, String call) {
            if (rc == 0) {
                return;
            }
            String name = "error " + rc;
            try (Arena a = Arena.ofConfined()) {
                MemorySegment out = a.allocate(ValueLayout.ADDRESS);
                if ((int) getErrorName.invokeExact(rc, out) == 0) {
                    name = out.get(ValueLayout.ADDRESS, 0).reinterpret(128).getString(0);
                }
            } catch (Throwable ignored) {
                // keep the number
            }
            throw new TandemException("CUDA " + call + " failed: " + name);
        }

        static RuntimeException rethrow(Throwable t) {
            if (t instanceof RuntimeException r) {
                return r;
            }
            if (t instanceof Error e) {
                throw e;
            }
            return new TandemException("CUDA call failed: " + t);
        }
    }
}
