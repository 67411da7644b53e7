package dev.tandem.decoding;

import dev.tandem.core.TandemException;
import dev.tandem.models.Tokenizer;
import dev.tandem.models.Transformer;
import java.util.List;

/** The decoding methods by the names the CLI and the server use. */
public final class Methods {
    /** Methods this build implements. */
    public static final List<String> AVAILABLE = List.of("ar");

    private Methods() {}

    public static Generator create(String method, Transformer target, Tokenizer tokenizer) {
        return switch (method) {
            case "ar" -> new AutoregressiveGenerator(target, tokenizer);
            default -> throw new TandemException("unknown method '" + method + "'; available: " + String.join(", ", AVAILABLE));
        };
    }

    /** Fails early, before a model is loaded, for a name no build knows. */
    public static void check(String method) {
        if (!AVAILABLE.contains(method)) {
            throw new TandemException("unknown method '" + method + "'; available: " + String.join(", ", AVAILABLE));
        }
    }
}
