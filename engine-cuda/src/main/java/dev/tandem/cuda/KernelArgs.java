package dev.tandem.cuda;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * A kernel's arguments in the form {@code cuLaunchKernel} takes them: an array of pointers, each to one
 * argument's value. A device pointer argument is its 8-byte address; ints and floats are 4 bytes.
 * The emulation takes the same array, so one packing serves both devices.
 */
public final class KernelArgs {
    private static final int MAX = 16;
    private final long[] values = new long[MAX];
    private final boolean[] wide = new boolean[MAX];
    private int count;

    public static KernelArgs of() {
        return new KernelArgs();
    }

    /** A device pointer. */
    public KernelArgs ptr(long address) {
        return add(address, true);
    }

    public KernelArgs i32(int value) {
        return add(value & 0xFFFFFFFFL, false);
    }

    public KernelArgs f32(float value) {
        return add(Float.floatToRawIntBits(value) & 0xFFFFFFFFL, false);
    }

    private KernelArgs add(long bits, boolean isWide) {
        if (count == MAX) {
            throw new IllegalStateException("more than " + MAX + " kernel arguments");
        }
        values[count] = bits;
        wide[count++] = isWide;
        return this;
    }

    public int count() {
        return count;
    }

    /** Equal when every argument's bits and width are: a recorded step whose launches all equal the last one's replays its graph as it is. */
    @Override
    public boolean equals(Object o) {
        if (!(o instanceof KernelArgs other) || other.count != count) {
            return false;
        }
        for (int i = 0; i < count; i++) {
            if (values[i] != other.values[i] || wide[i] != other.wide[i]) {
                return false;
            }
        }
        return true;
    }

    @Override
    public int hashCode() {
        int h = count;
        for (int i = 0; i < count; i++) {
            h = 31 * h + Long.hashCode(values[i]) + (wide[i] ? 1 : 0);
        }
        return h;
    }

    /** The pointer array, with the values it points at, allocated in {@code arena}. */
    MemorySegment pack(Arena arena) {
        MemorySegment slots = arena.allocate(8L * Math.max(count, 1), 8);
        MemorySegment pointers = arena.allocate(ValueLayout.ADDRESS, Math.max(count, 1));
        for (int i = 0; i < count; i++) {
            MemorySegment slot = slots.asSlice(8L * i, 8);
            if (wide[i]) {
                slot.set(ValueLayout.JAVA_LONG, 0, values[i]);
            } else {
                slot.set(ValueLayout.JAVA_INT, 0, (int) values[i]);
            }
            pointers.setAtIndex(ValueLayout.ADDRESS, i, slot);
        }
        return pointers;
    }
}
