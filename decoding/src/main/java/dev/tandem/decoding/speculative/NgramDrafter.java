package dev.tandem.decoding.speculative;

import dev.tandem.decoding.Sampler;
import java.util.Arrays;

/**
 * Drafts a chain from an {@link NgramTable} of the target's own text: each token the most frequent one after
 * the longest known context, its estimated probability of acceptance the product of the table's confidences
 * so far. A {@link DraftSizer} then keeps the prefix worth its verification rows (possibly none: a plain
 * step), so on a model whose rows are nearly free the chain runs long and on one where each row costs a step
 * it drafts only what is nearly certain. Free: no model runs.
 */
public final class NgramDrafter implements Drafter {
    private final NgramTable table;
    private final DraftSizer sizer;

    public NgramDrafter(NgramTable table, DraftSizer sizer) {
        this.table = table;
        this.sizer = sizer;
    }

    @Override
    public String name() {
        return "ngram";
    }

    @Override
    public DraftTree propose(TokenHistory h, int maxDepth, Sampler sampler) {
        int context = Math.min(table.maxOrder(), h.size());
        int[] window = new int[context + maxDepth];
        for (int i = 0; i < context; i++) {
            window[i] = h.get(h.size() - context + i);
        }
        double[] scores = new double[maxDepth];
        double p = 1;
        int drafted = 0;
        while (drafted < maxDepth) {
            long prediction = table.predict(window, context + drafted);
            if (prediction < 0) {
                break;
            }
            p *= NgramTable.confidence(prediction);
            scores[drafted] = p;
            window[context + drafted++] = NgramTable.token(prediction);
        }
        int keep = sizer.size(Arrays.copyOf(scores, drafted));
        return keep == 0 ? DraftTree.empty() : DraftTree.chain(Arrays.copyOfRange(window, context, context + keep));
    }

    @Override
    public void sharedPass(int peerRows) {
        sizer.sharedPass(peerRows);
    }

    @Override
    public void verified(DraftTree tree, int accepted, long verifyNanos, long draftNanos) {
        sizer.verified(tree.size() + 1, accepted, verifyNanos);
    }
}
