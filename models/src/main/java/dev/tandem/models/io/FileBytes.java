package dev.tandem.models.io;

import dev.tandem.core.TandemException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/** A small file read whole, its failures as one line naming the file and what it was meant to be. */
public final class FileBytes {
    private FileBytes() {}

    /** {@code what} names the file's role in the messages, e.g. "tokenizer file": "tokenizer file not found: PATH". */
    public static byte[] read(Path p, String what) {
        try {
            return Files.readAllBytes(p);
        } catch (NoSuchFileException e) {
            throw new TandemException(what + " not found: " + p);
        } catch (IOException e) {
            throw new TandemException("cannot read " + what + " " + p + ": " + e.getMessage(), e);
        }
    }
}
