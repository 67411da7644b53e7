package dev.tandem.models;

import dev.tandem.core.TandemException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/** Opens a model: a GGUF file, a Hugging Face folder (config.json + safetensors) or a llama2.c checkpoint. */
public final class ModelLoader {
    private ModelLoader() {}

    public static Model load(Path path) {
        if (!Files.exists(path)) {
            throw new TandemException("model file not found: " + path);
        }
        if (Files.isDirectory(path)) {
            return dev.tandem.models.hf.HfModel.load(path);
        }
        byte[] head = readHead(path, 4);
        if (head.length == 4 && "GGUF".equals(new String(head, StandardCharsets.ISO_8859_1))) {
            return dev.tandem.models.gguf.GgufModel.load(path);
        }
        if (path.getFileName().toString().endsWith(".safetensors")) {
            throw new TandemException("model file " + path + " is a safetensors file; pass its folder (with config.json) instead");
        }
        return Llama2cCheckpoint.load(path);
    }

    static byte[] readHead(Path path, int n) {
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            ByteBuffer buf = ByteBuffer.allocate(n).order(ByteOrder.LITTLE_ENDIAN);
            while (buf.hasRemaining() && ch.read(buf) > 0) {
                // keep reading until n bytes or end of file
            }
            byte[] out = new byte[buf.position()];
            buf.flip().get(out);
            return out;
        } catch (NoSuchFileException e) {
            throw new TandemException("model file not found: " + path);
        } catch (IOException e) {
            throw new TandemException("cannot read model file " + path + ": " + e.getMessage(), e);
        }
    }
}
