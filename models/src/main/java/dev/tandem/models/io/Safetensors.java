package dev.tandem.models.io;

import dev.tandem.core.TandemException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Safetensors files of F32 tensors: an 8-byte little-endian header length, a JSON header naming each
 * tensor's dtype, shape and byte range, string metadata under {@code __metadata__}, then the data. Reading
 * checks every range against the file before touching it. (Small files: the data is read onto the heap.)
 */
public final class Safetensors {
    private static final long MAX_HEADER = 100L << 20;

    /** A tensor: its shape and values, row-major. */
    public record Entry(long[] shape, float[] values) {}

    /** A file's tensors in order and its metadata. */
    public record Contents(Map<String, Entry> tensors, Map<String, String> metadata) {}

    private Safetensors() {}

    /** Writes atomically (to a temporary file, then renamed), so an interrupted write never leaves a torn file. */
    public static void write(Path file, Map<String, Entry> tensors, Map<String, String> metadata) {
        StringBuilder header = new StringBuilder("{\"__metadata__\":{");
        boolean first = true;
        for (Map.Entry<String, String> m : metadata.entrySet()) {
            header.append(first ? "" : ",").append(Json.quote(m.getKey())).append(':').append(Json.quote(m.getValue()));
            first = false;
        }
        header.append('}');
        long offset = 0;
        for (Map.Entry<String, Entry> t : tensors.entrySet()) {
            long bytes = t.getValue().values().length * 4L;
            header.append(',').append(Json.quote(t.getKey())).append(":{\"dtype\":\"F32\",\"shape\":[");
            long[] shape = t.getValue().shape();
            for (int i = 0; i < shape.length; i++) {
                header.append(i == 0 ? "" : ",").append(shape[i]);
            }
            header.append("],\"data_offsets\":[").append(offset).append(',').append(offset + bytes).append("]}");
            offset += bytes;
        }
        header.append('}');
        while ((header.length() + 8) % 8 != 0) {
            header.append(' ');
        }
        byte[] h = header.toString().getBytes(StandardCharsets.UTF_8);
        ByteBuffer buf = ByteBuffer.allocate((int) (8 + h.length + offset)).order(ByteOrder.LITTLE_ENDIAN);
        buf.putLong(h.length).put(h);
        for (Entry e : tensors.values()) {
            for (float v : e.values()) {
                buf.putFloat(v);
            }
        }
        try {
            Path dir = file.toAbsolutePath().getParent();
            if (dir != null) {
                Files.createDirectories(dir);
            }
            Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
            Files.write(tmp, buf.array());
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new TandemException("cannot write " + file + ": " + e.getMessage(), e);
        }
    }

    @SuppressWarnings("unchecked")
    public static Contents read(Path file) {
        byte[] data;
        try {
            data = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new TandemException("file not found: " + file);
        } catch (IOException e) {
            throw new TandemException("cannot read " + file + ": " + e.getMessage(), e);
        }
        String what = "safetensors file " + file;
        if (data.length < 8) {
            throw new TandemException(what + " is truncated (" + data.length + " bytes)");
        }
        ByteBuffer buf = ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN);
        long headerLength = buf.getLong();
        if (headerLength <= 0 || headerLength > MAX_HEADER || headerLength > data.length - 8) {
            throw new TandemException(what + " is corrupt or truncated: header length " + headerLength
                    + " does not fit a file of " + data.length + " bytes");
        }
        Object parsed;
        try {
            parsed = Json.parse(new String(data, 8, (int) headerLength, StandardCharsets.UTF_8));
        } catch (TandemException e) {
            throw new TandemException(what + " has a corrupt header: " + e.getMessage());
        }
        if (!(parsed instanceof Map<?, ?> header)) {
            throw new TandemException(what + " has a corrupt header: not a JSON object");
        }
        long dataStart = 8 + headerLength;
        long dataLength = data.length - dataStart;
        Map<String, String> metadata = new LinkedHashMap<>();
        Map<String, Entry> tensors = new LinkedHashMap<>();
        List<long[]> ranges = new ArrayList<>();
        for (Map.Entry<?, ?> e : header.entrySet()) {
            String name = (String) e.getKey();
            if (name.equals("__metadata__")) {
                if (e.getValue() instanceof Map<?, ?> m) {
                    m.forEach((k, v) -> metadata.put(String.valueOf(k), String.valueOf(v)));
                }
                continue;
            }
            if (!(e.getValue() instanceof Map<?, ?> info)) {
                throw new TandemException(what + ": entry '" + name + "' is not a tensor description");
            }
            Object dtype = info.get("dtype");
            if (!"F32".equals(dtype)) {
                throw new TandemException(what + ": tensor '" + name + "' has dtype " + dtype + "; only F32 is supported here");
            }
            long[] shape = longs(info.get("shape"), what, name, "shape");
            long[] offsets = longs(info.get("data_offsets"), what, name, "data_offsets");
            long elements = 1;
            for (long d : shape) {
                if (d < 0 || d > Integer.MAX_VALUE) {
                    throw new TandemException(what + ": tensor '" + name + "' has a bad dimension " + d);
                }
                elements = Math.multiplyHigh(elements, d) != 0 ? Long.MAX_VALUE : elements * d;
            }
            if (offsets.length != 2 || offsets[0] < 0 || offsets[1] < offsets[0] || offsets[1] > dataLength) {
                throw new TandemException(what + ": tensor '" + name + "' points outside the file's " + dataLength + " data bytes");
            }
            if (elements > Integer.MAX_VALUE / 4 || offsets[1] - offsets[0] != elements * 4) {
                throw new TandemException(what + ": tensor '" + name + "' has " + (offsets[1] - offsets[0])
                        + " bytes for shape " + java.util.Arrays.toString(shape));
            }
            for (long[] r : ranges) {
                if (offsets[0] < r[1] && r[0] < offsets[1]) {
                    throw new TandemException(what + ": tensor '" + name + "' overlaps another tensor");
                }
            }
            ranges.add(offsets);
            float[] values = new float[(int) elements];
            ByteBuffer slice = ByteBuffer.wrap(data, (int) (dataStart + offsets[0]), (int) (offsets[1] - offsets[0]))
                    .order(ByteOrder.LITTLE_ENDIAN);
            slice.asFloatBuffer().get(values);
            tensors.put(name, new Entry(shape, values));
        }
        return new Contents(tensors, metadata);
    }

    private static long[] longs(Object o, String what, String name, String field) {
        if (!(o instanceof List<?> l)) {
            throw new TandemException(what + ": tensor '" + name + "' has no " + field);
        }
        long[] out = new long[l.size()];
        for (int i = 0; i < out.length; i++) {
            if (!(l.get(i) instanceof Double d) || d != Math.floor(d) || d > 1e15) {
                throw new TandemException(what + ": tensor '" + name + "' has a bad " + field);
            }
            out[i] = d.longValue();
        }
        return out;
    }
}
