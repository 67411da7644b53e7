package dev.tandem.models.io;

import dev.tandem.core.TandemException;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/** A model file mapped read-only: weights are used in place, never copied onto the heap. */
public final class MappedFile {
    private MappedFile() {}

    /**
     * Maps all of {@code path} for as long as {@code arena} lives; {@code what} names the file in the error
     * ("GGUF file", "model file") when it cannot be read.
     */
    public static MemorySegment map(Path path, Arena arena, String what) {
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            return ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), arena);
        } catch (IOException e) {
            throw new TandemException("cannot read " + what + " " + path + ": " + e.getMessage(), e);
        }
    }
}
