package dev.tandem.decoding.methods;

import dev.tandem.decoding.Generator;
import dev.tandem.decoding.MethodOptions;
import dev.tandem.decoding.MethodOptions.Setting;
import dev.tandem.decoding.Methods;
import dev.tandem.decoding.speculative.CostModel;
import dev.tandem.decoding.speculative.RouterDrafter;
import dev.tandem.decoding.speculative.SpeculativeGenerator;
import dev.tandem.models.Tokenizer;
import dev.tandem.models.Transformer;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * {@code auto}: the adaptive router, choosing per step among the options every other registered method
 * lends it (plain steps; lookup 2, 4 or 8 deep; given --ngram-table, its chains sized per step; the draft model 2 or 4 deep; CS Drafting; given --heads,
 * the heads with trees of up to 6 nodes, sized per step by {@link dev.tandem.decoding.speculative.DraftSizer})
 * from measured acceptance and measured cost.
 */
public final class Router extends DecodingMethod {
    /** Start-up calibration of the verification cost (then refined by every measured step). */
    static final long CALIBRATION_MILLIS = 300;
    /** Row counts calibrated (the options verify at most 13: CS Drafting's 12 tokens and the root); more are extrapolated. */
    static final int CALIBRATED_ROWS = 16;

    public Router() {
        super("auto", Set.of(Setting.MAX_NGRAM, Setting.DRAFT_MODELS, Setting.DRAFT_LAYERS, Setting.BRANCHING, Setting.HEADS,
                Setting.TREE_BUDGET, Setting.NGRAM_TABLE));
    }

    @Override
    public Generator create(Transformer target, Tokenizer tokenizer, MethodOptions o) {
        CostModel cost = CostModel.calibrateFor(target, CALIBRATION_MILLIS, CALIBRATED_ROWS);
        List<RouterDrafter.Option> options = new ArrayList<>();
        for (DecodingMethod m : Methods.registry()) {
            if (m != this) {
                options.addAll(m.routerOptions(target, o, cost));
            }
        }
        int maxDepth = options.stream().mapToInt(RouterDrafter.Option::depth).max().orElse(1);
        return new SpeculativeGenerator("auto", target, tokenizer, new RouterDrafter(options, cost), maxDepth);
    }
}
