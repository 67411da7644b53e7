package dev.tandem.decoding.methods;

import dev.tandem.core.TandemException;
import dev.tandem.decoding.Generator;
import dev.tandem.decoding.MethodOptions;
import dev.tandem.decoding.MethodOptions.Setting;
import dev.tandem.decoding.speculative.CostModel;
import dev.tandem.decoding.speculative.DraftSizer;
import dev.tandem.decoding.speculative.NgramDrafter;
import dev.tandem.decoding.speculative.NgramTable;
import dev.tandem.decoding.speculative.RouterDrafter;
import dev.tandem.decoding.speculative.SpeculativeGenerator;
import dev.tandem.models.Tokenizer;
import dev.tandem.models.Transformer;
import java.util.List;
import java.util.Set;

/**
 * {@code ngram}: chains drafted from an n-gram table of the target's own text ({@code ./tandem train-ngram}),
 * each step's chain cut to what its confidence and the measured cost of rows make worth verifying.
 */
public final class Ngram extends DecodingMethod {
    /** Deepest chain offered to the sizer: beyond 8 tokens the product of confidences is rarely worth a row. */
    static final int DEPTH = 8;

    public Ngram() {
        super("ngram", Set.of(Setting.NGRAM_TABLE, Setting.DRAFT_LENGTH));
    }

    @Override
    public Generator create(Transformer target, Tokenizer tokenizer, MethodOptions o) {
        if (o.ngramTable() == null) {
            throw new TandemException("--method ngram needs --ngram-table PATH (build one with ./tandem train-ngram)");
        }
        NgramTable table = load(o, target);
        int depth = Drafts.length(o, DEPTH);
        CostModel cost = CostModel.calibrateFor(target, Router.CALIBRATION_MILLIS, depth + 1);
        return new SpeculativeGenerator(name(), target, tokenizer, new NgramDrafter(table, new DraftSizer(cost, true)), depth);
    }

    /** Given --ngram-table: its chains, sized per step against the router's measured cost. */
    @Override
    public List<RouterDrafter.Option> routerOptions(Transformer target, MethodOptions o, CostModel cost) {
        if (o.ngramTable() == null) {
            return List.of();
        }
        return List.of(new RouterDrafter.Option("ngram-sized", new NgramDrafter(load(o, target), new DraftSizer(cost, false)), DEPTH));
    }

    private static NgramTable load(MethodOptions o, Transformer target) {
        NgramTable table = NgramTable.load(o.ngramTable());
        if (table.vocabSize() != target.config().vocabSize()) {
            throw new TandemException("n-gram table " + o.ngramTable() + " was built for a vocabulary of " + table.vocabSize()
                    + " tokens; this model has " + target.config().vocabSize());
        }
        return table;
    }
}
