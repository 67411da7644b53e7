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

/**
 * The CUDA kernels run on the CPU: the same .cu sources, compiled by g++ against a header that emulates
 * the CUDA execution model (blocks, shared memory, barriers, warp shuffles; see
 * {@code kernels/src/emulation}), in a native library the build packs into the kernels jar. Device
 * memory is host memory here, filled with NaN bytes when allocated so a kernel that reads what nobody
 * wrote shows it. Launches are serialised; it is a test device, a few hundred times slower than the CPU backend.
 */
public final class EmulatedDevice implements CudaDevice {
    static final String LIBRARY = "emulation/libtandem_cuda_emu.so";
    private static volatile Library library;

    private final Library lib;

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
    public void memset(long address, int value, long bytes) {
        at(address, bytes).fill((byte) value);
    }

    @Override
    public void upload(long dst, MemorySegment src, long bytes) {
        MemorySegment.copy(src, 0, at(dst, bytes), 0, bytes);
    }

    @Override
    public void download(MemorySegment dst, long src, long bytes) {
        MemorySegment.copy(at(src, bytes), 0, dst, 0, bytes);
    }

    @Override
    public void copy(long dst, long src, long bytes) {
        MemorySegment.copy(at(src, bytes), 0, at(dst, bytes), 0, bytes);
    }

    @Override
    public void launch(String kernel, Dim3 grid, Dim3 block, int sharedBytes, KernelArgs args) {
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
    public void synchronize() {
        // launches and copies complete before they return
    }

    @Override
    public void close() {
        // the library stays loaded for the JVM's life; memory is freed by its owner
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
