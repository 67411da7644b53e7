package dev.tandem.decoding;

import dev.tandem.core.TandemException;
import dev.tandem.decoding.heads.HeadKind;
import dev.tandem.decoding.methods.Autoregressive;
import dev.tandem.decoding.methods.Cascade;
import dev.tandem.decoding.methods.DecodingMethod;
import dev.tandem.decoding.methods.DraftModel;
import dev.tandem.decoding.methods.HeadsMethod;
import dev.tandem.decoding.methods.HiddenTransfer;
import dev.tandem.decoding.methods.Lookup;
import dev.tandem.decoding.methods.Ngram;
import dev.tandem.decoding.methods.Router;
import dev.tandem.models.Tokenizer;
import dev.tandem.models.Transformer;
import java.util.List;

/**
 * The decoding methods by the names the CLI and the server use: one {@link DecodingMethod} class each,
 * registered here once; the names, the factory and the router's options all come from that list.
 */
public final class Methods {
    private static final List<DecodingMethod> REGISTRY = List.of(new Autoregressive(), new Lookup(), new Ngram(), new DraftModel(),
            new Cascade(), new HeadsMethod(HeadKind.MEDUSA), new HeadsMethod(HeadKind.CERBERUS), new HiddenTransfer(), new Router());

    /** Methods this build implements. */
    public static final List<String> AVAILABLE = REGISTRY.stream().map(DecodingMethod::name).toList();

    /** Named in the papers and the issues, not built yet: asking for them says so. */
    public static final List<String> NOT_YET = List.of();

    private Methods() {}

    /** Every method, in the order the router considers their drafters. */
    public static List<DecodingMethod> registry() {
        return REGISTRY;
    }

    public static Generator create(String method, Transformer target, Tokenizer tokenizer) {
        return create(method, target, tokenizer, MethodOptions.defaults());
    }

    public static Generator create(String method, Transformer target, Tokenizer tokenizer, MethodOptions o) {
        return method(method).create(target, tokenizer, o);
    }

    /** The method of that name; fails with the list of names for one no build knows. */
    public static DecodingMethod method(String name) {
        check(name);
        return REGISTRY.stream().filter(m -> m.name().equals(name)).findFirst().orElseThrow();
    }

    /** Fails early, before a model is loaded, for a name no build knows. */
    public static void check(String method) {
        if (NOT_YET.contains(method)) {
            throw new TandemException("method '" + method + "' is not implemented yet; available: " + String.join(", ", AVAILABLE));
        }
        if (!AVAILABLE.contains(method)) {
            throw new TandemException("unknown method '" + method + "'; available: " + String.join(", ", AVAILABLE));
        }
    }
}
