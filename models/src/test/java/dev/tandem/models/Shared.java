package dev.tandem.models;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/** The shared test data beside the checkout ({@code ../shared}, or the {@code tandem.shared} property). */
public final class Shared {
    private Shared() {}

    public static Path root() {
        return Path.of(System.getProperty("tandem.shared", "../shared")).toAbsolutePath().normalize();
    }

    public static Path model() {
        return root().resolve("models/stories260k/stories260K.bin");
    }

    public static Path tokenizer() {
        return root().resolve("models/stories260k/tok512.bin");
    }

    public static List<Path> goldenFiles() {
        try (Stream<Path> s = Files.list(root().resolve("golden/stories260k"))) {
            return s.filter(p -> p.toString().endsWith(".json")).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static JsonNode json(Path p) {
        try {
            return new ObjectMapper().readTree(p.toFile());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static int[] ints(JsonNode array) {
        int[] out = new int[array.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = array.get(i).asInt();
        }
        return out;
    }
}
