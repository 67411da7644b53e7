package dev.tandem.decoding.methods;

import dev.tandem.decoding.Generator;
import dev.tandem.decoding.MethodOptions;
import dev.tandem.decoding.MethodOptions.Setting;
import dev.tandem.decoding.speculative.CascadeDrafter;
import dev.tandem.decoding.speculative.CostModel;
import dev.tandem.decoding.speculative.RouterDrafter;
import dev.tandem.decoding.speculative.SpeculativeGenerator;
import dev.tandem.models.Tokenizer;
import dev.tandem.models.Transformer;
import java.util.List;
import java.util.Set;

/** {@code csd}: Cascade Speculative Drafting, draft models reviewed level by level down to the n-gram model. */
public final class Cascade extends DecodingMethod {
    public Cascade() {
        super("csd", Set.of(Setting.DRAFT_MODELS, Setting.DRAFT_LAYERS, Setting.DRAFT_LENGTH, Setting.K_MATRIX, Setting.LENIENCE, Setting.REVIEW_LENIENCE));
    }

    @Override
    public Generator create(Transformer target, Tokenizer tokenizer, MethodOptions o) {
        List<Transformer> drafts = Drafts.models(target, o);
        int[][] k = o.kMatrix() != null ? CascadeDrafter.parseK(o.kMatrix()) : Drafts.defaultK(drafts.size());
        return new SpeculativeGenerator("csd", target, tokenizer,
                new CascadeDrafter(drafts, Drafts.names(target, o), k, o.lenience(),
                        o.reviewLenience() > 0 ? o.reviewLenience() : Drafts.DEFAULT_REVIEW_LENIENCE), Drafts.length(o, Drafts.CSD_LENGTH));
    }

    /** A lossless cascade of the first draft model over the n-gram model, with the default k-matrix. */
    @Override
    public List<RouterDrafter.Option> routerOptions(Transformer target, MethodOptions o, CostModel cost) {
        Transformer model = Drafts.first(target, o);
        return List.of(new RouterDrafter.Option("csd", new CascadeDrafter(List.of(model), List.of(Drafts.names(target, o).get(0)),
                Drafts.defaultK(1), 1.0, Drafts.DEFAULT_REVIEW_LENIENCE), Drafts.CSD_LENGTH,
                Drafts.passShare(model, target), 1)); // at least one pass of its draft model a step
    }
}
