package dev.tandem.decoding.methods;

import dev.tandem.decoding.Generator;
import dev.tandem.decoding.MethodOptions;
import dev.tandem.decoding.speculative.CostModel;
import dev.tandem.decoding.speculative.RouterDrafter;
import dev.tandem.models.Tokenizer;
import dev.tandem.models.Transformer;
import java.util.List;
import java.util.Set;

/**
 * A decoding method: the name the CLI, the server and the benchmarks know it by, the {@link MethodOptions}
 * settings it reads, how it is built from them, and what it offers the adaptive router. Adding a method is
 * one class and one line in {@link dev.tandem.decoding.Methods#registry()}.
 */
public abstract class DecodingMethod {
    private final String name;
    private final Set<MethodOptions.Setting> settings;

    protected DecodingMethod(String name, Set<MethodOptions.Setting> settings) {
        this.name = name;
        this.settings = Set.copyOf(settings);
    }

    public final String name() {
        return name;
    }

    /** The settings this method reads (the CLI refuses the flags of others; a test checks the declaration). */
    public final Set<MethodOptions.Setting> settings() {
        return settings;
    }

    /** A generator of this method decoding {@code target}; a setting it cannot use fails with a clear error. */
    public abstract Generator create(Transformer target, Tokenizer tokenizer, MethodOptions options);

    /**
     * The drafters this method lends the router ({@code auto}), cheapest first; none by default. {@code cost}
     * is the router's measured verification cost, which drafters sizing their drafts per step read.
     */
    public List<RouterDrafter.Option> routerOptions(Transformer target, MethodOptions options, CostModel cost) {
        return List.of();
    }
}
