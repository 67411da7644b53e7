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
        return load(path, 0);
    }

    /**
     * Opens a model whose KV cache holds {@code contextSize} positions (as llama.cpp's {@code -c}); 0 keeps
     * the file's context length, which caps it.
     */
    public static Model load(Path path, int contextSize) {
        Model m = open(path);
        int fileContext = m.config().contextLength();
        if (contextSize == 0 || contextSize == fileContext) {
            return m;
        }
        if (contextSize < 2 || contextSize > fileContext) {
            m.close();
            throw new TandemException("--ctx-size " + contextSize + " is outside 2.." + fileContext + ", the context length of " + path);
        }
        return new Model(m.path(), m.config().withContextLength(contextSize), m.weights(), m.arena(), m.metadata());
    }

    private static Model open(Path path) {
        if (!Files.exists(path)) {
            throw new TandemException("model file not found: " + path);
        }
        if (Files.isDirectory(path)) {
            return dev.tandem.models.hf.HfModel.load(path);
        }
        byte[] head = readHead(path, 16);
        if (head.length >= 4 && "GGUF".equals(new String(head, 0, 4, StandardCharsets.ISO_8859_1))) {
            return dev.tandem.models.gguf.GgufModel.load(path);
        }
        if (head.length == 0) {
            throw new TandemException("model file " + path + " is empty");
        }
        try {
            return Llama2cCheckpoint.load(path);
        } catch (TandemException e) {
            // a llama2.c header has no magic: only once it fails is the file worth naming as something else
            String foreign = path.getFileName().toString().endsWith(".safetensors") ? "a safetensors file (pass its folder, with config.json)"
                    : foreignFormat(head);
            if (foreign != null) {
                throw new TandemException("model file " + path + " is " + foreign + ", not a model Tandem reads: use a GGUF file, "
                        + "a Hugging Face folder (config.json + safetensors) or a llama2.c .bin");
            }
            throw new TandemException(e.getMessage() + " (the file has no GGUF magic, so it was read as a llama2.c checkpoint)", e);
        }
    }

    /** Formats recognisable by their first bytes that are not models Tandem reads, or null. */
    static String foreignFormat(byte[] head) {
        String s = new String(head, StandardCharsets.ISO_8859_1);
        if (s.startsWith("PK\u0003\u0004")) {
            return "a zip archive (a PyTorch .pt/.pth checkpoint?)";
        }
        if (s.startsWith("lmgg") || s.startsWith("tjgg") || s.startsWith("fmgg") || s.startsWith("algg")) {
            return "a legacy GGML/GGJT file (llama.cpp's format before GGUF; convert it to GGUF with llama.cpp)";
        }
        if (s.startsWith("\u0089HDF")) {
            return "an HDF5 file (Keras weights?)";
        }
        if (head.length >= 9 && head[8] == '{' && (head[0] & 0xFF | (head[1] & 0xFF) << 8) > 1 && head[6] == 0 && head[7] == 0) {
            return "a safetensors file (pass its folder, with config.json)";
        }
        String t = s.stripLeading();
        if (t.startsWith("{") || t.startsWith("[")) {
            return "a JSON file";
        }
        return null;
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
