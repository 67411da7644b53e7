package dev.tandem.models.convert;

import dev.tandem.core.TandemException;
import dev.tandem.models.io.MappedOutput;
import dev.tandem.models.io.Safetensors;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.LongConsumer;

/** Streams F32/F16/BF16 tensors into a safetensors file through {@link MappedOutput}. */
final class SafetensorsWriter {
    private SafetensorsWriter() {}

    static void write(Path out, List<ExportTensor> tensors, String hfFormat, LongConsumer progress) {
        long offset = 0;
        long[] offsets = new long[tensors.size()];
        List<Safetensors.Span> spans = new ArrayList<>();
        for (int i = 0; i < tensors.size(); i++) {
            ExportTensor t = tensors.get(i);
            if (t.target().quantized()) {
                throw new TandemException("safetensors cannot hold " + t.target() + " blocks (tensor " + t.name() + "); use f32, f16 or bf16");
            }
            offsets[i] = offset;
            long[] shape = t.vector() ? new long[] {t.cols()} : new long[] {t.rows(), t.cols()};
            spans.add(new Safetensors.Span(t.name(), t.target().toString(), shape, t.bytes()));
            offset += t.bytes();
        }
        byte[] header = Safetensors.header(Map.of("format", hfFormat), spans);
        long dataStart = 8 + header.length;
        long total = dataStart + offset;
        MappedOutput.write(out, total, file -> {
            file.set(ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 0, header.length);
            MemorySegment.copy(header, 0, file, ValueLayout.JAVA_BYTE, 8, header.length);
            long done = 0;
            for (int i = 0; i < tensors.size(); i++) {
                ExportTensor t = tensors.get(i);
                t.fill(file.asSlice(dataStart + offsets[i], t.bytes()));
                done += t.bytes();
                progress.accept(done);
            }
        });
    }

    static long bytes(List<ExportTensor> tensors) {
        return tensors.stream().mapToLong(ExportTensor::bytes).sum();
    }
}
