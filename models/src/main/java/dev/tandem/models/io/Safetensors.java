package dev.tandem.models.io;

import dev.tandem.core.DType;
import dev.tandem.core.Shown;
import dev.tandem.core.TandemException;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Safetensors files of F32 tensors: an 8-byte little-endian header length, a JSON header naming each
 * tensor's dtype, shape and byte range, string metadata under {@code __metadata__}, then the data. Reading
 * checks every range against the file before touching it ({@link MappedSafetensors}). (Small files: the data
 * is read onto the heap.)
 */
public final class Safetensors {
    private static final ValueLayout.OfFloat F32_LE = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** A tensor: its shape and values, row-major. */
    public record Entry(long[] shape, float[] values) {}

    /** A file's tensors in order and its metadata. */
    public record Contents(Map<String, Entry> tensors, Map<String, String> metadata) {}

    private Safetensors() {}

    /** A tensor's entry in a header: its dtype as safetensors names it, its shape and its bytes. */
    public record Span(String name, String dtype, long[] shape, long bytes) {}

    /**
     * The header of a file holding {@code tensors} back to back in this order, with {@code metadata} as its
     * {@code __metadata__}: the JSON, padded with spaces so that the data after it (at 8 + its length) starts at
     * a multiple of 8 bytes.
     */
    public static byte[] header(Map<String, String> metadata, List<Span> tensors) {
        Map<String, Object> h = new LinkedHashMap<>();
        h.put("__metadata__", metadata);
        long offset = 0;
        for (Span t : tensors) {
            Map<String, Object> e = new LinkedHashMap<>();
            e.put("dtype", t.dtype());
            e.put("shape", Arrays.stream(t.shape()).boxed().toList());
            e.put("data_offsets", List.of(offset, offset + t.bytes()));
            h.put(t.name(), e);
            offset += t.bytes();
        }
        byte[] json = Json.compact(h).getBytes(StandardCharsets.UTF_8);
        byte[] padded = Arrays.copyOf(json, (json.length + 7) / 8 * 8);
        Arrays.fill(padded, json.length, padded.length, (byte) ' ');
        return padded;
    }

    /** Writes atomically (to a temporary file, then renamed), so an interrupted write never leaves a torn file. */
    public static void write(Path file, Map<String, Entry> tensors, Map<String, String> metadata) {
        List<Span> spans = new ArrayList<>();
        long offset = 0;
        for (Map.Entry<String, Entry> t : tensors.entrySet()) {
            long bytes = t.getValue().values().length * 4L;
            spans.add(new Span(t.getKey(), "F32", t.getValue().shape(), bytes));
            offset += bytes;
        }
        byte[] h = header(metadata, spans);
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

    /** Reads a file of F32 tensors onto the heap; the header is checked by {@link MappedSafetensors#parse}. */
    public static Contents read(Path file) {
        byte[] data = FileBytes.read(file, "safetensors file");
        MappedSafetensors st = MappedSafetensors.parse(file, MemorySegment.ofArray(data));
        Map<String, Entry> tensors = new LinkedHashMap<>();
        for (MappedSafetensors.Info t : st.tensors().values()) {
            if (t.dtype() != DType.F32) {
                throw new TandemException("safetensors file " + file + ": tensor " + Shown.quote(t.name()) + " has dtype " + Shown.quote(t.dtype())
                        + "; only F32 is supported here");
            }
            tensors.put(t.name(), new Entry(t.shape(), st.bytes(t).toArray(F32_LE)));
        }
        return new Contents(tensors, st.metadata());
    }
}
