package dev.tandem.decoding.methods;

import dev.tandem.core.TandemException;
import dev.tandem.decoding.Generator;
import dev.tandem.decoding.MethodOptions;
import dev.tandem.decoding.MethodOptions.Setting;
import dev.tandem.decoding.heads.HeadKind;
import dev.tandem.decoding.heads.Heads;
import dev.tandem.decoding.heads.HeadsDrafter;
import dev.tandem.decoding.heads.HeadsFile;
import dev.tandem.decoding.speculative.CostModel;
import dev.tandem.decoding.speculative.DraftSizer;
import dev.tandem.decoding.speculative.RouterDrafter;
import dev.tandem.decoding.speculative.SpeculativeGenerator;
import dev.tandem.models.Tokenizer;
import dev.tandem.models.Transformer;
import java.util.List;
import java.util.Set;

/**
 * {@code medusa} and {@code cerberus}: decoding heads on the target's last hidden state. By default each step's tree is
 * sized from the heads' confidence and the measured cost of rows (a plain step where nothing pays); with
 * {@code --tree-budget N} a static tree of N nodes, Cerberus then gated by the target's entropy.
 */
public final class HeadsMethod extends DecodingMethod {
    /** The most nodes of the heads' per-step sized tree, and Cerberus' gate with a static tree (draft only below this
     *  next-token entropy, in nats): both the best tokens/s of a sweep on stories260K (budgets 3/6/16 x gates
     *  off/1.0/1.5/2.0; see docs/MEASUREMENTS.md). */
    static final int TREE_BUDGET = 6;
    static final double DEFAULT_GATE_ENTROPY = 1.0;

    private final HeadKind kind;

    public HeadsMethod(HeadKind kind) {
        super(kind.id(), Set.of(Setting.HEADS, Setting.GATE_ENTROPY, Setting.TREE_BUDGET, Setting.DRAFT_LENGTH, Setting.BRANCHING));
        this.kind = kind;
    }

    @Override
    public Generator create(Transformer target, Tokenizer tokenizer, MethodOptions o) {
        String method = name();
        if (o.heads() == null) {
            throw new TandemException("--method " + method + " needs --heads PATH (train them with ./tandem train-heads --kind "
                    + method + ")");
        }
        Heads heads = HeadsFile.load(o.heads(), target.config());
        if (heads.kind() != kind) {
            throw new TandemException("heads file " + o.heads() + " holds " + heads.kind().id() + " heads, not " + method);
        }
        int depth = Math.min(heads.count(), o.draftLength() > 0 ? o.draftLength() : heads.count());
        if (o.treeBudget() > 0) { // the papers' static tree: every drafting step verifies this many nodes
            double gate = o.gateEntropy() >= 0 ? o.gateEntropy() : kind == HeadKind.CERBERUS ? DEFAULT_GATE_ENTROPY : 0;
            return new SpeculativeGenerator(method, target, tokenizer, drafter(heads, target, o, o.treeBudget(), gate, null), depth);
        }
        // Sized per step: a pass over k rows costs a step function of k (the kernels' row tiles), so a fixed
        // budget right on one model and machine verifies rows that do not pay on another. The sizer is itself a
        // gate between a tree and a plain step (expected tokens per second), so the entropy gate is off unless asked.
        double gate = Math.max(0, o.gateEntropy());
        CostModel cost = CostModel.calibrateFor(target, Router.CALIBRATION_MILLIS, TREE_BUDGET + 1);
        return new SpeculativeGenerator(method, target, tokenizer,
                drafter(heads, target, o, TREE_BUDGET, gate, new DraftSizer(cost, true)), depth);
    }

    /**
     * Given --heads of this kind: the heads with trees of up to the budget's nodes, ungated, each step's tree
     * sized by the heads' confidence and the router's measured cost of rows (0 nodes: a plain step).
     */
    @Override
    public List<RouterDrafter.Option> routerOptions(Transformer target, MethodOptions o, CostModel cost) {
        if (o.heads() == null) {
            return List.of();
        }
        Heads heads = HeadsFile.load(o.heads(), target.config());
        if (heads.kind() != kind) {
            return List.of();
        }
        int budget = o.treeBudget() > 0 ? o.treeBudget() : TREE_BUDGET;
        return List.of(new RouterDrafter.Option(name() + "-sized", drafter(heads, target, o, budget, 0, new DraftSizer(cost, false)),
                heads.count()));
    }

    private static HeadsDrafter drafter(Heads heads, Transformer target, MethodOptions o, int budget, double gate, DraftSizer sizer) {
        return new HeadsDrafter(heads, target.model().weights().classifier(), target.model().weights().tokenEmbedding(),
                target.backend(), o.branching(), budget, gate, sizer);
    }
}
