package dev.tandem.models.gguf;

import dev.tandem.core.DType;
import dev.tandem.models.io.MappedOutput;
import java.io.ByteArrayOutputStream;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.LongConsumer;

/**
 * Writes GGUF v3. Metadata values map to the types llama.cpp expects: Integer to UINT32 (INT32 when negative),
 * Long to UINT64, Float to FLOAT32, Double to FLOAT64, Boolean, String, and Lists of one of those (a List of
 * Integer becomes an INT32 array, as token types are). Tensor data is written straight into the mapped output
 * through each tensor's filler (which may split its segment over threads); the file appears under its name
 * only once complete.
 */
public final class GgufWriter {
    static final long ALIGNMENT = 32;

    private record Pending(String name, long[] dims, DType type, long bytes, Consumer<MemorySegment> filler) {}

    private final Map<String, Object> metadata = new LinkedHashMap<>();
    private final List<Pending> tensors = new ArrayList<>();

    public GgufWriter put(String key, Object value) {
        if (value == null) {
            throw new IllegalArgumentException("metadata " + key + " is null");
        }
        metadata.put(key, value);
        return this;
    }

    public GgufWriter putAll(Map<String, Object> entries) {
        entries.forEach(this::put);
        return this;
    }

    /**
     * Adds a tensor of {@code rows x cols} (GGML dims {@code [cols, rows]}; a 1-row tensor is written 1-D) whose
     * bytes {@code filler} writes into the segment it is given.
     */
    public GgufWriter tensor(String name, int rows, int cols, DType type, Consumer<MemorySegment> filler) {
        long[] dims = rows == 1 ? new long[] {cols} : new long[] {cols, rows};
        tensors.add(new Pending(name, dims, type, type.byteSize((long) rows * cols), filler));
        return this;
    }

    /** Writes the file; {@code progress} receives the tensor bytes written so far. */
    public void write(Path out, LongConsumer progress) {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        Le le = new Le(head);
        le.u32(GgufReader.MAGIC);
        le.u32(3);
        le.u64(tensors.size());
        le.u64(metadata.size());
        metadata.forEach((k, v) -> {
            le.string(k);
            value(le, k, v, true);
        });
        long offset = 0;
        long[] offsets = new long[tensors.size()];
        for (int i = 0; i < tensors.size(); i++) {
            Pending t = tensors.get(i);
            offsets[i] = offset;
            le.string(t.name);
            le.u32(t.dims.length);
            for (long d : t.dims) {
                le.u64(d);
            }
            le.u32(t.type.ggufType());
            le.u64(offset);
            offset = align(offset + t.bytes);
        }
        long dataStart = align(head.size());
        long total = dataStart + offset;
        byte[] header = head.toByteArray();
        MappedOutput.write(out, total, file -> {
            MemorySegment.copy(header, 0, file, ValueLayout.JAVA_BYTE, 0, header.length);
            long done = 0;
            for (int i = 0; i < tensors.size(); i++) {
                Pending t = tensors.get(i);
                t.filler.accept(file.asSlice(dataStart + offsets[i], t.bytes));
                done += t.bytes;
                progress.accept(done);
            }
        });
    }

    /** Total tensor bytes this writer will write (for progress bars). */
    public long tensorBytes() {
        return tensors.stream().mapToLong(Pending::bytes).sum();
    }

    private static long align(long n) {
        return (n + ALIGNMENT - 1) / ALIGNMENT * ALIGNMENT;
    }

    private static void value(Le le, String key, Object v, boolean top) {
        int type = typeOf(key, v);
        if (top) {
            le.u32(type);
        }
        switch (v) {
            case Integer i -> le.u32(i);
            case Long l -> le.u64(l);
            case Float f -> le.u32(Float.floatToRawIntBits(f));
            case Double d -> le.u64(Double.doubleToRawLongBits(d));
            case Boolean b -> le.out.write(b ? 1 : 0);
            case String s -> le.string(s);
            case List<?> list -> {
                if (!top) {
                    throw new IllegalArgumentException("metadata " + key + " nests arrays");
                }
                int elemType = list.isEmpty() ? GgufReader.TYPE_INT32 : typeOf(key, list.get(0));
                if (elemType == GgufReader.TYPE_UINT32) {
                    elemType = GgufReader.TYPE_INT32; // llama.cpp reads token types as INT32
                }
                le.u32(elemType);
                le.u64(list.size());
                for (Object e : list) {
                    int t = typeOf(key, e);
                    if (t != elemType && !(elemType == GgufReader.TYPE_INT32 && t == GgufReader.TYPE_UINT32)) {
                        throw new IllegalArgumentException("metadata " + key + " mixes element types");
                    }
                    value(le, key, e, false);
                }
            }
            default -> throw new IllegalArgumentException("metadata " + key + " has unsupported type " + v.getClass());
        }
    }

    private static int typeOf(String key, Object v) {
        return switch (v) {
            case Integer i -> i < 0 ? GgufReader.TYPE_INT32 : GgufReader.TYPE_UINT32;
            case Long l -> GgufReader.TYPE_UINT64;
            case Float f -> GgufReader.TYPE_FLOAT32;
            case Double d -> GgufReader.TYPE_FLOAT64;
            case Boolean b -> GgufReader.TYPE_BOOL;
            case String s -> GgufReader.TYPE_STRING;
            case List<?> l -> GgufReader.TYPE_ARRAY;
            default -> throw new IllegalArgumentException("metadata " + key + " has unsupported type " + v.getClass());
        };
    }

    /** Little-endian primitives into a byte stream. */
    private record Le(ByteArrayOutputStream out) {
        void u32(int v) {
            out.writeBytes(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(v).array());
        }

        void u64(long v) {
            out.writeBytes(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(v).array());
        }

        void string(String s) {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            u64(b.length);
            out.writeBytes(b);
        }
    }
}
