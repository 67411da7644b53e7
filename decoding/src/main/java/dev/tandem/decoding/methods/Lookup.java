package dev.tandem.decoding.methods;

import dev.tandem.decoding.Generator;
import dev.tandem.decoding.MethodOptions;
import dev.tandem.decoding.MethodOptions.Setting;
import dev.tandem.decoding.speculative.LookupDrafter;
import dev.tandem.decoding.speculative.CostModel;
import dev.tandem.decoding.speculative.RouterDrafter;
import dev.tandem.decoding.speculative.SpeculativeGenerator;
import dev.tandem.models.Tokenizer;
import dev.tandem.models.Transformer;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/** {@code lookup}: drafts copied from earlier text (prompt lookup, n-gram matching). */
public final class Lookup extends DecodingMethod {
    public Lookup() {
        super("lookup", Set.of(Setting.DRAFT_LENGTH, Setting.MAX_NGRAM, Setting.LOOKUP_CANDIDATES));
    }

    @Override
    public Generator create(Transformer target, Tokenizer tokenizer, MethodOptions o) {
        return new SpeculativeGenerator("lookup", target, tokenizer,
                new LookupDrafter(o.maxNgram(), o.lookupCandidates(), target.cache().maxBatch() - 1), Drafts.length(o, Drafts.LOOKUP_LENGTH));
    }

    /** Chains of 2, 4 and 8 tokens. */
    @Override
    public List<RouterDrafter.Option> routerOptions(Transformer target, MethodOptions o, CostModel cost) {
        LookupDrafter lookup = new LookupDrafter(o.maxNgram(), 1, target.cache().maxBatch() - 1);
        List<RouterDrafter.Option> options = new ArrayList<>();
        for (int depth : new int[] {8, 4, 2}) { // deepest first: its trial steps tell what the shallower would give
            options.add(new RouterDrafter.Option("lookup-" + depth, lookup, depth));
        }
        return options;
    }
}
