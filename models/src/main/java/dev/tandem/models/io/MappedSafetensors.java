package dev.tandem.models.io;

import dev.tandem.core.DType;
import dev.tandem.core.Shown;
import dev.tandem.core.TandemException;
import dev.tandem.core.Tensor;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A memory-mapped safetensors file of F32, F16 or BF16 tensors (what Hugging Face checkpoints hold). The
 * header is validated before any data is touched: dtypes, shapes against byte ranges, ranges inside the file,
 * no overlaps.
 */
public final class MappedSafetensors {
    private static final long MAX_HEADER = 100L << 20;

    /** A tensor's directory entry: its type, shape and byte range within the data section. */
    public record Info(String name, DType dtype, long[] shape, long begin, long end) {}

    private final Path path;
    private final Map<String, Info> tensors;
    private final Map<String, String> metadata;
    private final MemorySegment data;

    private MappedSafetensors(Path path, Map<String, Info> tensors, Map<String, String> metadata, MemorySegment data) {
        this.path = path;
        this.tensors = tensors;
        this.metadata = metadata;
        this.data = data;
    }

    public static MappedSafetensors open(Path path, Arena arena) {
        return parse(path, MappedFile.map(path, arena, "safetensors file"));
    }

    /** Parses a safetensors image (tests and fuzzing use in-memory images). */
    public static MappedSafetensors parse(Path path, MemorySegment file) {
        String what = "safetensors file " + path;
        if (file.byteSize() < 8) {
            throw new TandemException(what + " is truncated (" + file.byteSize() + " bytes)");
        }
        long headerLength = file.get(ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 0);
        if (headerLength <= 0 || headerLength > MAX_HEADER || headerLength > file.byteSize() - 8) {
            throw new TandemException(what + " is corrupt or truncated: header length " + headerLength
                    + " does not fit a file of " + file.byteSize() + " bytes");
        }
        Object parsed;
        try {
            parsed = Json.parse(file.asSlice(8, headerLength).toArray(ValueLayout.JAVA_BYTE));
        } catch (TandemException e) {
            throw new TandemException(what + " has a corrupt header: " + e.getMessage());
        }
        if (!(parsed instanceof Map<?, ?> header)) {
            throw new TandemException(what + " has a corrupt header: not a JSON object");
        }
        MemorySegment data = file.asSlice(8 + headerLength);
        Map<String, Info> tensors = new LinkedHashMap<>();
        Map<String, String> metadata = new LinkedHashMap<>();
        for (Map.Entry<?, ?> e : header.entrySet()) {
            String name = (String) e.getKey();
            if (name.equals("__metadata__")) {
                if (e.getValue() instanceof Map<?, ?> m) {
                    m.forEach((k, v) -> metadata.put(String.valueOf(k), String.valueOf(v)));
                }
                continue;
            }
            if (!(e.getValue() instanceof Map<?, ?> info)) {
                throw new TandemException(what + ": entry " + Shown.quote(name) + " is not a tensor description");
            }
            DType dtype = switch (String.valueOf(info.get("dtype"))) {
                case "F32" -> DType.F32;
                case "F16" -> DType.F16;
                case "BF16" -> DType.BF16;
                default -> throw new TandemException(what + ": tensor " + Shown.quote(name) + " has dtype " + Shown.quote(info.get("dtype"))
                        + " (supported: F32, F16, BF16)");
            };
            long[] shape = longs(info.get("shape"), what, name, "shape");
            long[] offsets = longs(info.get("data_offsets"), what, name, "data_offsets");
            long elements = 1;
            for (long d : shape) {
                if (d < 0 || d > (1L << 40) || (d > 0 && elements > (1L << 48) / d)) {
                    throw new TandemException(what + ": tensor " + Shown.quote(name) + " has a bad shape " + Arrays.toString(shape));
                }
                elements *= d;
            }
            if (offsets.length != 2 || offsets[0] < 0 || offsets[1] < offsets[0] || offsets[1] > data.byteSize()) {
                throw new TandemException(what + ": tensor " + Shown.quote(name) + " points outside the file's " + data.byteSize() + " data bytes");
            }
            if (offsets[1] - offsets[0] != dtype.byteSize(elements)) {
                throw new TandemException(what + ": tensor " + Shown.quote(name) + " has " + (offsets[1] - offsets[0])
                        + " bytes for " + dtype + " shape " + Arrays.toString(shape));
            }
            tensors.put(name, new Info(name, dtype, shape, offsets[0], offsets[1]));
        }
        List<Info> byStart = new ArrayList<>(tensors.values());
        byStart.sort(Comparator.comparingLong(Info::begin));
        for (int i = 1; i < byStart.size(); i++) {
            if (byStart.get(i).begin() < byStart.get(i - 1).end()) {
                throw new TandemException(what + ": tensors " + Shown.quote(byStart.get(i - 1).name()) + " and " + Shown.quote(byStart.get(i).name()) + " overlap");
            }
        }
        return new MappedSafetensors(path, tensors, metadata, data);
    }

    public Map<String, Info> tensors() {
        return tensors;
    }

    /** The string metadata under {@code __metadata__}. */
    public Map<String, String> metadata() {
        return metadata;
    }

    /** The data bytes of a tensor of the directory. */
    public MemorySegment bytes(Info t) {
        return data.asSlice(t.begin(), t.end() - t.begin());
    }

    public boolean has(String name) {
        return tensors.containsKey(name);
    }

    /** The tensor as a {@code rows x cols} view (a 1-D tensor of n values is 1 x n). */
    public Tensor tensor(String name, int rows, int cols) {
        Info t = tensors.get(name);
        if (t == null) {
            throw new TandemException("safetensors file " + path + " has no tensor " + name);
        }
        long[] s = t.shape();
        boolean ok = s.length == 1 ? rows == 1 && s[0] == cols : s.length == 2 && s[0] == rows && s[1] == cols;
        if (!ok) {
            throw new TandemException("safetensors file " + path + ": tensor " + name + " has shape " + Arrays.toString(s)
                    + ", expected [" + rows + ", " + cols + "]");
        }
        return Tensor.of(data.asSlice(t.begin(), t.end() - t.begin()), t.dtype(), rows, cols);
    }

    private static long[] longs(Object o, String what, String name, String field) {
        if (!(o instanceof List<?> l) || l.size() > 8) {
            throw new TandemException(what + ": tensor " + Shown.quote(name) + " has no valid " + field);
        }
        long[] out = new long[l.size()];
        for (int i = 0; i < out.length; i++) {
            if (!(l.get(i) instanceof Double d) || d != Math.floor(d) || d < 0 || d > 1e15) {
                throw new TandemException(what + ": tensor " + Shown.quote(name) + " has a bad " + field);
            }
            out[i] = d.longValue();
        }
        return out;
    }
}
