package dev.tandem.decoding.methods;

import dev.tandem.core.TandemException;
import dev.tandem.decoding.Generator;
import dev.tandem.decoding.MethodOptions;
import dev.tandem.decoding.MethodOptions.Setting;
import dev.tandem.decoding.speculative.DraftModelDrafter;
import dev.tandem.decoding.speculative.CostModel;
import dev.tandem.decoding.speculative.RouterDrafter;
import dev.tandem.decoding.speculative.SpeculativeGenerator;
import dev.tandem.models.Tokenizer;
import dev.tandem.models.Transformer;
import java.util.List;
import java.util.Set;

/** {@code draft}: a draft model (a separate file, or the target's own first layers) as a chain or a top-k tree. */
public final class DraftModel extends DecodingMethod {
    public DraftModel() {
        super("draft", Set.of(Setting.DRAFT_MODELS, Setting.DRAFT_LAYERS, Setting.DRAFT_LENGTH, Setting.TREE_BUDGET, Setting.BRANCHING));
    }

    @Override
    public Generator create(Transformer target, Tokenizer tokenizer, MethodOptions o) {
        List<Transformer> drafts = Drafts.models(target, o);
        if (drafts.size() != 1) {
            throw new TandemException("--method draft takes one draft model (--draft-model PATH or --draft-layers K), got " + drafts.size());
        }
        int n = Drafts.length(o, Drafts.DRAFT_LENGTH);
        return new SpeculativeGenerator("draft", target, tokenizer,
                new DraftModelDrafter(Drafts.names(target, o).get(0), drafts.get(0), n, o.branching(), o.treeBudget()), n);
    }

    /** The first draft model as chains of 2 and 4 tokens. */
    @Override
    public List<RouterDrafter.Option> routerOptions(Transformer target, MethodOptions o, CostModel cost) {
        Transformer model = Drafts.first(target, o);
        DraftModelDrafter draft = new DraftModelDrafter(Drafts.names(target, o).get(0), model, 4, o.branching(), 0);
        double share = Drafts.passShare(model, target); // a chain of n tokens: n passes of the draft model
        return List.of(new RouterDrafter.Option("draft-4", draft, 4, share, 4), new RouterDrafter.Option("draft-2", draft, 2, share, 2));
    }
}
