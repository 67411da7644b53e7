package dev.tandem.core.cpu;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * Zeroed native memory for the repacked weight copies ({@link LaneRepack}), on Linux mapped anonymously and advised
 * to transparent huge pages ({@code mmap} + {@code madvise(MADV_HUGEPAGE)}, through the FFM linker), elsewhere or
 * without native access an ordinary {@link Arena#ofAuto()} allocation. Why: {@code Arena.allocate} zeroes its memory
 * with one thread's memset, faulting in every 4 KB page (a third of a model's repacking time on the VM measured), and a
 * decode step then walks hundreds of MB through 4 KB pages; an anonymous mapping is zero already, and with huge pages
 * (where the kernel's THP setting is {@code always} or {@code madvise}) a fault brings in 2 MB. Freed when the segment's
 * automatic arena becomes unreachable ({@code munmap}).
 */
final class LargePages {
    private static final int PROT_READ = 1, PROT_WRITE = 2, MAP_PRIVATE = 2, MAP_ANONYMOUS = 0x20, MADV_HUGEPAGE = 14;
    private static final MethodHandle MMAP, MADVISE, MUNMAP;

    static {
        MethodHandle mmap = null, madvise = null, munmap = null;
        if (System.getProperty("os.name", "").startsWith("Linux") && LargePages.class.getModule().isNativeAccessEnabled()
                && !Boolean.getBoolean("tandem.noLargePages")) {
            try {
                Linker linker = Linker.nativeLinker();
                var libc = linker.defaultLookup();
                mmap = linker.downcallHandle(libc.findOrThrow("mmap"), FunctionDescriptor.of(ValueLayout.ADDRESS,
                        ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT,
                        ValueLayout.JAVA_LONG));
                madvise = linker.downcallHandle(libc.findOrThrow("madvise"), FunctionDescriptor.of(ValueLayout.JAVA_INT,
                        ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT));
                munmap = linker.downcallHandle(libc.findOrThrow("munmap"), FunctionDescriptor.of(ValueLayout.JAVA_INT,
                        ValueLayout.ADDRESS, ValueLayout.JAVA_LONG));
            } catch (RuntimeException e) { // no libc symbols: the plain allocation
                mmap = null;
            }
        }
        MMAP = mmap;
        MADVISE = madvise;
        MUNMAP = munmap;
    }

    private LargePages() {}

    /** Whether this JVM maps the copies itself (Linux, native access enabled). */
    static boolean mapped() {
        return MMAP != null;
    }

    /** {@code bytes} of zeroed memory, 64-byte aligned at least, freed by the GC once unreachable. */
    static MemorySegment allocate(long bytes) {
        if (MMAP != null) {
            try {
                MemorySegment p = (MemorySegment) MMAP.invokeExact(MemorySegment.NULL, bytes, PROT_READ | PROT_WRITE,
                        MAP_PRIVATE | MAP_ANONYMOUS, -1, 0L);
                if (p.address() != -1L) { // MAP_FAILED: the plain allocation below
                    int ignored = (int) MADVISE.invokeExact(p, bytes, MADV_HUGEPAGE); // advice only: a refusal changes nothing
                    long address = p.address();
                    return p.reinterpret(bytes, Arena.ofAuto(), unused -> unmap(address, bytes));
                }
            } catch (Throwable e) {
                // the plain allocation below
            }
        }
        return Arena.ofAuto().allocate(bytes, 64);
    }

    private static void unmap(long address, long bytes) {
        try {
            int ignored = (int) MUNMAP.invokeExact(MemorySegment.ofAddress(address), bytes);
        } catch (Throwable e) {
            // nothing to do: the mapping stays until the process ends
        }
    }
}
