package dev.tandem.decoding.methods;

import dev.tandem.decoding.AutoregressiveGenerator;
import dev.tandem.decoding.Generator;
import dev.tandem.decoding.MethodOptions;
import dev.tandem.decoding.speculative.CostModel;
import dev.tandem.decoding.speculative.RouterDrafter;
import dev.tandem.models.Tokenizer;
import dev.tandem.models.Transformer;
import java.util.List;
import java.util.Set;

/** {@code ar}: one token per target step, the baseline every other method must reproduce. */
public final class Autoregressive extends DecodingMethod {
    public Autoregressive() {
        super("ar", Set.of());
    }

    @Override
    public Generator create(Transformer target, Tokenizer tokenizer, MethodOptions o) {
        return new AutoregressiveGenerator(target, tokenizer);
    }

    /** A plain step: what the router falls back to when no drafter pays. */
    @Override
    public List<RouterDrafter.Option> routerOptions(Transformer target, MethodOptions o, CostModel cost) {
        return List.of(new RouterDrafter.Option("ar", null, 0));
    }
}
