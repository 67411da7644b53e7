package dev.tandem.models.gguf;

import dev.tandem.core.DType;
import dev.tandem.core.Shown;
import dev.tandem.core.TandemException;
import dev.tandem.models.io.MappedFile;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads GGUF v2/v3 files (the llama.cpp format): header, metadata, tensor directory and an aligned data
 * section, memory-mapped. Every count, length and offset is checked against the file before it is used, so a
 * truncated or hostile file is refused with a message instead of a huge allocation or an out-of-bounds read.
 */
public final class GgufReader {
    static final int MAGIC = 0x46554747; // "GGUF" little-endian
    static final int TYPE_UINT8 = 0, TYPE_INT8 = 1, TYPE_UINT16 = 2, TYPE_INT16 = 3, TYPE_UINT32 = 4, TYPE_INT32 = 5,
            TYPE_FLOAT32 = 6, TYPE_BOOL = 7, TYPE_STRING = 8, TYPE_ARRAY = 9, TYPE_UINT64 = 10, TYPE_INT64 = 11,
            TYPE_FLOAT64 = 12;
    private static final int MAX_ENTRIES = 1 << 20;
    private static final int MAX_DIMS = 4;

    /** A GGML type's block layout: enough to size a tensor and name its type. */
    record Layout(String name, int blockSize, int blockBytes) {}

    /**
     * GGML types Tandem has no kernels for, by id, so that files holding them are sized and refused by name.
     * The types it computes with come from {@link DType}, their one definition.
     */
    private static final Map<Integer, Layout> OTHER_TYPES = Map.ofEntries(
            Map.entry(9, new Layout("Q8_1", 32, 36)), Map.entry(15, new Layout("Q8_K", 256, 292)),
            Map.entry(24, new Layout("I8", 1, 1)), Map.entry(25, new Layout("I16", 1, 2)), Map.entry(26, new Layout("I32", 1, 4)), Map.entry(27, new Layout("I64", 1, 8)), Map.entry(28, new Layout("F64", 1, 8)));

    /** The layout of GGML type {@code id}, or null for an id no GGML version defines that Tandem knows of. */
    static Layout layout(int id) {
        DType t = DType.fromGguf(id);
        return t != null ? new Layout(t.name(), t.blockSize(), t.blockBytes()) : OTHER_TYPES.get(id);
    }

    private static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong I64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfDouble F64 = ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final Path path;
    private final MemorySegment file;
    private long pos;

    private GgufReader(Path path, MemorySegment file) {
        this.path = path;
        this.file = file;
    }

    /** Maps and parses {@code path}; the mapping lives as long as {@code arena}. */
    public static GgufFile read(Path path, Arena arena) {
        return new GgufReader(path, MappedFile.map(path, arena, "GGUF file")).parse();
    }

    /** Parses a GGUF image already in memory (tests, fuzzing). */
    public static GgufFile parse(Path name, MemorySegment image) {
        return new GgufReader(name, image).parse();
    }

    static String typeName(int ggmlType) {
        Layout l = layout(ggmlType);
        return l != null ? l.name() : "#" + ggmlType;
    }

    private GgufFile parse() {
        if (file.byteSize() < 24) {
            throw fail("is too short to be GGUF (" + file.byteSize() + " bytes)");
        }
        if (file.get(I32, 0) != MAGIC) {
            throw fail("does not start with the GGUF magic");
        }
        int version = file.get(I32, 4);
        if (Integer.reverseBytes(version) >= 1 && Integer.reverseBytes(version) <= 3) {
            throw fail("is big-endian GGUF, which Tandem does not read");
        }
        if (version != 2 && version != 3) {
            throw fail("has GGUF version " + version + "; Tandem reads versions 2 and 3");
        }
        pos = 8;
        long tensorCount = u64("tensor count");
        long kvCount = u64("metadata count");
        if (tensorCount > MAX_ENTRIES || tensorCount < 0) {
            throw fail("claims " + Long.toUnsignedString(tensorCount) + " tensors (at most " + MAX_ENTRIES + " accepted)");
        }
        if (kvCount > MAX_ENTRIES || kvCount < 0) {
            throw fail("claims " + Long.toUnsignedString(kvCount) + " metadata entries (at most " + MAX_ENTRIES + " accepted)");
        }
        Map<String, Object> metadata = new LinkedHashMap<>();
        for (long i = 0; i < kvCount; i++) {
            String key = string("metadata key " + i);
            String shown = Shown.quote(key);
            int type = u32("metadata type of " + shown);
            Object value = value(type, shown, true);
            if (metadata.put(key, value) != null) {
                throw fail("repeats the metadata key " + shown);
            }
        }
        List<GgufFile.TensorInfo> infos = new ArrayList<>();
        for (long i = 0; i < tensorCount; i++) {
            infos.add(tensorInfo());
        }
        long alignment = 32;
        Object a = metadata.get("general.alignment");
        if (a != null) {
            if (!(a instanceof Long l) || l <= 0 || l > (1 << 20) || Long.bitCount(l) != 1) {
                throw fail("has general.alignment " + a + " (must be a power of two up to 1 MiB)");
            }
            alignment = l;
        }
        long dataStart = (pos + alignment - 1) / alignment * alignment;
        if (dataStart > file.byteSize()) {
            throw fail("is truncated: its data section would start at byte " + dataStart + " of " + file.byteSize());
        }
        MemorySegment data = file.asSlice(dataStart);
        Map<String, GgufFile.TensorInfo> tensors = new LinkedHashMap<>();
        for (GgufFile.TensorInfo t : infos) {
            if (t.offset() % alignment != 0) {
                throw fail("tensor " + Shown.quote(t.name()) + " starts at data offset " + t.offset() + ", not a multiple of the alignment " + alignment);
            }
            if (t.offset() > data.byteSize() || t.byteSize() > data.byteSize() - t.offset()) {
                throw fail("is truncated or corrupt: tensor " + Shown.quote(t.name()) + " (" + t.byteSize() + " bytes at data offset "
                        + t.offset() + ") runs past the end of the file's " + data.byteSize() + " data bytes");
            }
            if (tensors.put(t.name(), t) != null) {
                throw fail("has two tensors named " + Shown.quote(t.name()));
            }
        }
        List<GgufFile.TensorInfo> byOffset = new ArrayList<>(infos);
        byOffset.sort(Comparator.comparingLong(GgufFile.TensorInfo::offset));
        for (int i = 1; i < byOffset.size(); i++) {
            GgufFile.TensorInfo prev = byOffset.get(i - 1), cur = byOffset.get(i);
            if (cur.offset() < prev.offset() + prev.byteSize()) {
                throw fail("has overlapping tensors " + Shown.quote(prev.name()) + " and " + Shown.quote(cur.name()));
            }
        }
        return new GgufFile(path, version, metadata, tensors, data);
    }

    private GgufFile.TensorInfo tensorInfo() {
        String rawName = string("tensor name");
        String name = Shown.quote(rawName);
        int nDims = u32("dimension count of " + name);
        if (nDims < 1 || nDims > MAX_DIMS) {
            throw fail("tensor " + name + " has " + Integer.toUnsignedString(nDims) + " dimensions (1 to " + MAX_DIMS + " accepted)");
        }
        long[] dims = new long[nDims];
        long elements = 1;
        for (int d = 0; d < nDims; d++) {
            dims[d] = u64("dimension of " + name);
            if (dims[d] <= 0 || dims[d] > (1L << 40)) {
                throw fail("tensor " + name + " has dimension " + Long.toUnsignedString(dims[d]));
            }
            if (elements > (1L << 48) / dims[d]) {
                throw fail("tensor " + name + " claims more than 2^48 values " + Arrays.toString(dims));
            }
            elements *= dims[d];
        }
        int type = u32("type of " + name);
        long offset = u64("offset of " + name);
        if (offset < 0) {
            throw fail("tensor " + name + " has offset " + Long.toUnsignedString(offset));
        }
        Layout info = layout(type);
        if (info == null) {
            throw fail("tensor " + name + " has unknown GGML type id " + Integer.toUnsignedString(type));
        }
        int block = info.blockSize();
        if (dims[0] % block != 0) {
            throw fail("tensor " + name + " has rows of " + dims[0] + " values, not whole " + info.name() + " blocks of " + block);
        }
        long bytes = elements / block * info.blockBytes();
        return new GgufFile.TensorInfo(rawName, dims, type, offset, bytes);
    }

    private Object value(int type, String key, boolean arraysAllowed) {
        return switch (type) {
            case TYPE_UINT8 -> (long) (bytes(1, key).get(ValueLayout.JAVA_BYTE, 0) & 0xFF);
            case TYPE_INT8 -> (long) bytes(1, key).get(ValueLayout.JAVA_BYTE, 0);
            case TYPE_UINT16 -> (long) (bytes(2, key).get(I16, 0) & 0xFFFF);
            case TYPE_INT16 -> (long) bytes(2, key).get(I16, 0);
            case TYPE_UINT32 -> Integer.toUnsignedLong(bytes(4, key).get(I32, 0));
            case TYPE_INT32 -> (long) bytes(4, key).get(I32, 0);
            case TYPE_FLOAT32 -> bytes(4, key).get(F32, 0);
            case TYPE_BOOL -> {
                byte b = bytes(1, key).get(ValueLayout.JAVA_BYTE, 0);
                if (b != 0 && b != 1) {
                    throw fail("metadata " + key + " is a bool of value " + b);
                }
                yield b == 1;
            }
            case TYPE_STRING -> string(key);
            case TYPE_UINT64, TYPE_INT64 -> bytes(8, key).get(I64, 0);
            case TYPE_FLOAT64 -> bytes(8, key).get(F64, 0);
            case TYPE_ARRAY -> {
                if (!arraysAllowed) {
                    throw fail("metadata " + key + " nests arrays, which GGUF readers do not support");
                }
                int elemType = u32("array type of " + key);
                long count = u64("array length of " + key);
                long minBytes = switch (elemType) {
                    case TYPE_UINT8, TYPE_INT8, TYPE_BOOL -> 1;
                    case TYPE_UINT16, TYPE_INT16 -> 2;
                    case TYPE_UINT32, TYPE_INT32, TYPE_FLOAT32 -> 4;
                    default -> 8; // 64-bit values, and strings (an 8-byte length each at least)
                };
                if (count < 0 || count > (file.byteSize() - pos) / minBytes) {
                    throw fail("metadata " + key + " claims " + Long.toUnsignedString(count) + " elements, more than the file holds");
                }
                List<Object> list = new ArrayList<>((int) count);
                for (long i = 0; i < count; i++) {
                    list.add(value(elemType, key, false));
                }
                yield List.copyOf(list);
            }
            default -> throw fail("metadata " + key + " has unknown value type " + Integer.toUnsignedString(type));
        };
    }

    private String string(String what) {
        long len = u64("length of " + what);
        if (len < 0 || len > file.byteSize() - pos) {
            throw fail("is truncated or corrupt: a " + what + " claims " + Long.toUnsignedString(len) + " bytes, "
                    + (file.byteSize() - pos) + " remain");
        }
        return new String(bytes(len, what).toArray(ValueLayout.JAVA_BYTE), StandardCharsets.UTF_8);
    }

    private int u32(String what) {
        return bytes(4, what).get(I32, 0);
    }

    private long u64(String what) {
        return bytes(8, what).get(I64, 0);
    }

    private MemorySegment bytes(long n, String what) {
        if (n > file.byteSize() - pos) {
            throw fail("is truncated: it ends inside the " + what + " (byte " + pos + " of " + file.byteSize() + ")");
        }
        MemorySegment s = file.asSlice(pos, n);
        pos += n;
        return s;
    }

    private TandemException fail(String what) {
        return new TandemException("GGUF file " + path + " " + what);
    }
}
