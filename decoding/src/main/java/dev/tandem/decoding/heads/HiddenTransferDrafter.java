package dev.tandem.decoding.heads;

import dev.tandem.decoding.Sampler;
import dev.tandem.decoding.speculative.DraftTree;
import dev.tandem.decoding.speculative.Drafter;
import dev.tandem.decoding.speculative.TokenHistory;
import dev.tandem.decoding.speculative.TreeBuilder;
import dev.tandem.models.Batch;
import dev.tandem.models.ForwardResult;
import dev.tandem.models.Transformer;
import java.util.Map;

/**
 * Hidden Transfer drafting: one target forward pass over the pending token with pseudo states of the next
 * tokens injected after the transfer layer ({@link TransferMaps}); the pending token's logits give the
 * candidates for draft depth 1, pseudo row i's logits those for depth i + 1, and a tree of at most
 * {@code budget} nodes is grown from them by cumulative probability. Its forward pass is target compute and
 * is counted as such ({@code draft_forwards["target (transfer)"]}); nothing of it is committed, and the
 * verification pass then runs as for every drafter.
 */
public final class HiddenTransferDrafter implements Drafter {
    private final Transformer target;
    private final TransferMaps maps;
    private final int branching;
    private final int budget;
    private long forwards;

    public HiddenTransferDrafter(Transformer target, TransferMaps maps, int branching, int budget) {
        this.target = target;
        this.maps = maps;
        this.branching = branching;
        this.budget = budget;
    }

    @Override
    public String name() {
        return "hidden-transfer";
    }

    @Override
    public Map<String, Long> draftForwards() {
        return Map.of("target (transfer)", forwards);
    }

    @Override
    public DraftTree propose(TokenHistory history, int maxDepth, Sampler sampler) {
        int pseudo = Math.min(maps.count(), maxDepth - 1);
        Batch batch = Batch.chain(history.last());
        if (pseudo > 0) {
            batch = batch.withTransfer(new Batch.Transfer(maps.layer(), 0, pseudo, h -> maps.apply(h, target.backend())));
        }
        ForwardResult r = target.forward(batch);
        forwards++;
        int depth = pseudo + 1;
        int[][] candidates = new int[depth][];
        float[][] probs = new float[depth][];
        for (int d = 0; d < depth; d++) {
            TreeBuilder.candidates(r.logits(d), branching, candidates, probs, d);
        }
        return TreeBuilder.dynamic(candidates, probs, budget, depth);
    }
}
