package dev.tandem.models.io;

import dev.tandem.core.TandemException;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.function.Consumer;

/**
 * Writes a file of known size through a writable mapping: {@code fill} gets the whole zeroed file as a segment
 * (shared, so it may split the work over threads). The bytes go to {@code OUT.partial}, which replaces
 * {@code out} only once complete and flushed, and is deleted if anything fails: an existing file is never torn.
 */
public final class MappedOutput {
    private MappedOutput() {}

    public static void write(Path out, long bytes, Consumer<MemorySegment> fill) {
        Path tmp = out.resolveSibling(out.getFileName() + ".partial");
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
                StandardOpenOption.READ, StandardOpenOption.WRITE); Arena arena = Arena.ofShared()) {
            MemorySegment file = ch.map(FileChannel.MapMode.READ_WRITE, 0, bytes, arena);
            fill.accept(file);
            file.force();
        } catch (IOException e) {
            deleteQuietly(tmp);
            throw new TandemException("cannot write " + out + ": " + e.getMessage(), e);
        } catch (RuntimeException e) {
            deleteQuietly(tmp);
            throw e;
        }
        try {
            Files.move(tmp, out, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            deleteQuietly(tmp);
            throw new TandemException("cannot move " + tmp + " to " + out + ": " + e.getMessage(), e);
        }
    }

    private static void deleteQuietly(Path p) {
        try {
            Files.deleteIfExists(p);
        } catch (IOException ignored) {
            // the original error matters more
        }
    }
}
