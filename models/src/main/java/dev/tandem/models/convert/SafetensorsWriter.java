package dev.tandem.models.convert;

import dev.tandem.core.TandemException;
import dev.tandem.models.io.Json;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.function.LongConsumer;

/** Streams F32/F16/BF16 tensors into a safetensors file through the mapped output; atomic rename at the end. */
final class SafetensorsWriter {
    private SafetensorsWriter() {}

    static void write(Path out, List<ExportTensor> tensors, String hfFormat, LongConsumer progress) {
        StringBuilder h = new StringBuilder("{\"__metadata__\":{\"format\":").append(Json.quote(hfFormat)).append('}');
        long offset = 0;
        long[] offsets = new long[tensors.size()];
        for (int i = 0; i < tensors.size(); i++) {
            ExportTensor t = tensors.get(i);
            if (t.target().quantized()) {
                throw new TandemException("safetensors cannot hold " + t.target() + " blocks (tensor " + t.name() + "); use f32, f16 or bf16");
            }
            offsets[i] = offset;
            String shape = t.vector() ? "[" + t.cols() + "]" : "[" + t.rows() + "," + t.cols() + "]";
            h.append(',').append(Json.quote(t.name())).append(":{\"dtype\":\"").append(t.target()).append("\",\"shape\":")
                    .append(shape).append(",\"data_offsets\":[").append(offset).append(',').append(offset + t.bytes()).append("]}");
            offset += t.bytes();
        }
        h.append('}');
        while (h.length() % 8 != 0) {
            h.append(' ');
        }
        byte[] header = h.toString().getBytes(StandardCharsets.UTF_8);
        long dataStart = 8 + header.length;
        Path tmp = out.resolveSibling(out.getFileName() + ".partial");
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
                StandardOpenOption.READ, StandardOpenOption.WRITE); Arena arena = Arena.ofConfined()) {
            ByteBuffer head = ByteBuffer.allocate((int) dataStart).order(ByteOrder.LITTLE_ENDIAN);
            head.putLong(header.length).put(header).flip();
            ch.write(head);
            MemorySegment file = ch.map(FileChannel.MapMode.READ_WRITE, 0, dataStart + offset, arena);
            long done = 0;
            for (int i = 0; i < tensors.size(); i++) {
                ExportTensor t = tensors.get(i);
                t.fill(file.asSlice(dataStart + offsets[i], t.bytes()));
                done += t.bytes();
                progress.accept(done);
            }
            file.force();
        } catch (IOException e) {
            throw new TandemException("cannot write " + out + ": " + e.getMessage(), e);
        }
        try {
            Files.move(tmp, out, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new TandemException("cannot move " + tmp + " to " + out + ": " + e.getMessage(), e);
        }
    }

    static long bytes(List<ExportTensor> tensors) {
        return tensors.stream().mapToLong(ExportTensor::bytes).sum();
    }
}
