package dev.tandem.decoding.methods;

import dev.tandem.core.TandemException;
import dev.tandem.decoding.Generator;
import dev.tandem.decoding.MethodOptions;
import dev.tandem.decoding.MethodOptions.Setting;
import dev.tandem.decoding.heads.HiddenTransferDrafter;
import dev.tandem.decoding.heads.TransferMaps;
import dev.tandem.decoding.speculative.SpeculativeGenerator;
import dev.tandem.models.Tokenizer;
import dev.tandem.models.Transformer;
import java.util.Set;

/** {@code hidden-transfer}: pseudo hidden states of future tokens, made at an intermediate layer and refined by the rest. */
public final class HiddenTransfer extends DecodingMethod {
    public HiddenTransfer() {
        super("hidden-transfer", Set.of(Setting.HEADS, Setting.TREE_BUDGET, Setting.DRAFT_LENGTH, Setting.BRANCHING));
    }

    @Override
    public Generator create(Transformer target, Tokenizer tokenizer, MethodOptions o) {
        if (o.heads() == null) {
            throw new TandemException("--method hidden-transfer needs --heads PATH (train them with ./tandem train-heads --kind hidden-transfer)");
        }
        TransferMaps maps = TransferMaps.load(o.heads(), target.config());
        int budget = o.treeBudget() > 0 ? o.treeBudget() : HeadsMethod.TREE_BUDGET;
        int depth = Math.min(maps.count() + 1, o.draftLength() > 0 ? o.draftLength() : maps.count() + 1);
        return new SpeculativeGenerator("hidden-transfer", target, tokenizer, new HiddenTransferDrafter(target, maps, o.branching(), budget), depth);
    }
}
