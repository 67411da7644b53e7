package dev.tandem.decoding.heads;

import dev.tandem.core.Shown;
import dev.tandem.core.TandemException;
import dev.tandem.models.io.Safetensors;
import java.nio.file.Path;
import java.util.Map;

/**
 * A Tandem safetensors file of drafting weights (heads, hidden transfers), read and checked the one way:
 * its {@code format} tag, whole numbers from its metadata, tensors of the size the file's shape implies;
 * every refusal names the file and what it should have been.
 */
record DraftWeightsFile(Path file, String what, Safetensors.Contents contents) {
    /** Reads {@code file}, which must carry {@code format=...} in its metadata; {@code what} names it in errors ("heads file"). */
    static DraftWeightsFile read(Path file, String format, String what) {
        Safetensors.Contents c = Safetensors.read(file);
        if (!format.equals(c.metadata().get("format"))) {
            throw new TandemException(file + " is not a Tandem " + what + " (no format=" + format + " in its metadata)");
        }
        return new DraftWeightsFile(file, what, c);
    }

    Map<String, String> metadata() {
        return contents.metadata();
    }

    /** The metadata's whole number under {@code key}. */
    int integer(String key) {
        try {
            return Integer.parseInt(metadata().get(key));
        } catch (RuntimeException e) {
            throw corrupt();
        }
    }

    TandemException corrupt() {
        return new TandemException(what + " " + file + " has corrupt metadata " + Shown.quote(metadata().toString(), 300));
    }

    /** A tensor of {@code size} values the file must hold. */
    float[] tensor(String name, int size) {
        Safetensors.Entry e = contents.tensors().get(name);
        if (e == null || e.values().length != size) {
            throw new TandemException(what + " " + file + " is corrupt: tensor " + name
                    + (e == null ? " is missing" : " has " + e.values().length + " values, expected " + size));
        }
        return e.values();
    }
}
