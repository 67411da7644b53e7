package dev.tandem.decoding.heads;

import dev.tandem.core.HostMath;
import dev.tandem.core.Backend;
import dev.tandem.core.HeadsOnDevice;
import dev.tandem.core.Tensor;
import dev.tandem.decoding.Sampler;
import dev.tandem.decoding.speculative.DraftSizer;
import dev.tandem.decoding.speculative.DraftTree;
import dev.tandem.decoding.speculative.Drafter;
import dev.tandem.decoding.speculative.TokenHistory;
import dev.tandem.decoding.speculative.TreeBuilder;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Drafts with decoding heads (Medusa or Cerberus): from the target's hidden state at the position that
 * chose the pending token, head k proposes its top candidates for draft depth k; a tree of at most
 * {@code budget} nodes is grown from them by cumulative head probability and verified with tree
 * attention. With a gate (Cerberus' adaptive gate) a step whose target distribution is unsure (entropy
 * above the threshold) drafts nothing: a plain autoregressive step, without paying for a tree. With a
 * {@link DraftSizer} the tree's size is chosen per step instead, from the heads' own probabilities and the
 * measured cost of verifying each number of rows (0 nodes: a plain step), and a deeper head is computed
 * only while the chosen tree reaches the deepest one computed so far.
 */
public final class HeadsDrafter implements Drafter {
    private final Heads heads;
    private final Tensor classifier;
    private final Tensor embedding;
    private final Backend backend;
    private final int branching;
    private final int budget;
    private final double gateEntropy; // <= 0: no gate
    private final DraftSizer sizer;   // null: always the full budget
    private float[] hidden;
    private float[] logits;
    private long parallelSteps;
    private long arSteps;
    private Object onDevice; // the heads in a device backend's memory, uploaded at the first draft

    public HeadsDrafter(Heads heads, Tensor classifier, Tensor embedding, Backend backend, int branching, int budget,
                        double gateEntropy) {
        this(heads, classifier, embedding, backend, branching, budget, gateEntropy, null);
    }

    /** Heads whose tree, at most {@code budget} nodes, is sized per step by {@code sizer} (null: always the budget). */
    public HeadsDrafter(Heads heads, Tensor classifier, Tensor embedding, Backend backend, int branching, int budget,
                        double gateEntropy, DraftSizer sizer) {
        this.heads = heads;
        this.classifier = classifier;
        this.embedding = embedding;
        this.backend = backend;
        this.branching = branching;
        this.budget = budget;
        this.gateEntropy = gateEntropy;
        this.sizer = sizer;
    }

    @Override
    public String name() {
        return heads.kind().id();
    }

    @Override
    public boolean gatesItself() {
        return sizer != null;
    }

    @Override
    public void reset(TokenHistory history) {
        if (sizer != null) {
            sizer.reset();
        }
    }

    @Override
    public boolean wantsHiddenState() {
        return true;
    }

    @Override
    public void observe(float[] hidden, float[] logits) {
        this.hidden = hidden;
        this.logits = logits;
    }

    @Override
    public Map<String, Long> events() {
        if (gateEntropy <= 0 && sizer == null) {
            return Map.of();
        }
        Map<String, Long> m = new LinkedHashMap<>();
        m.put("gate_parallel", parallelSteps);
        m.put("gate_ar", arSteps);
        return m;
    }

    @Override
    public DraftTree propose(TokenHistory history, int maxDepth, Sampler sampler) {
        if (hidden == null) {
            return DraftTree.empty();
        }
        if (gateEntropy > 0 && entropy(logits) > gateEntropy) {
            arSteps++;
            return DraftTree.empty();
        }
        if (backend instanceof HeadsOnDevice device) {
            return counted(proposeOnDevice(device, history.last(), maxDepth));
        }
        Heads.Run run = heads.run(hidden, history.last(), classifier, embedding, backend);
        int depth = Math.min(maxDepth, heads.count());
        int[][] candidates = new int[depth][];
        float[][] probs = new float[depth][];
        for (int k = 0; k < depth; k++) {
            TreeBuilder.candidates(run.next(), branching, candidates, probs, k);
            if (sizer != null) {
                TreeBuilder.Ranked ranked = TreeBuilder.bestFirst(candidates, probs, budget, k + 1);
                int n = sizer.size(ranked.scores());
                if (ranked.depth(n) <= k || k + 1 == depth) { // deeper heads could only add nodes below unchosen ones
                    return counted(ranked.tree(n, candidates));
                }
            }
        }
        return counted(TreeBuilder.dynamic(candidates, probs, budget, depth));
    }

    private DraftTree counted(DraftTree tree) {
        if (tree.size() == 0) {
            arSteps++;
        } else {
            parallelSteps++;
        }
        return tree;
    }

    @Override
    public void sharedPass(int peerRows) {
        if (sizer != null) { // the sizer charges rows what they add to the other sequences' rows, as NgramDrafter's does
            sizer.sharedPass(peerRows);
        }
    }

    @Override
    public void verified(DraftTree tree, int accepted, long verifyNanos, long draftNanos) {
        if (sizer != null) {
            sizer.verified(tree.size() + 1, accepted, verifyNanos);
        }
    }

    /** The same draft with the heads run where the backend's memory is: only each head's top tokens come back. */
    private DraftTree proposeOnDevice(HeadsOnDevice device, int pending, int maxDepth) {
        if (onDevice == null) {
            float[][] w = new float[heads.count()][];
            float[][] b = new float[heads.count()][];
            for (int k = 0; k < w.length; k++) {
                w[k] = heads.weights(k);
                b[k] = heads.bias(k);
            }
            onDevice = device.uploadHeads(w, b, heads.dim(), heads.kind() == HeadKind.CERBERUS);
        }
        HeadsOnDevice.TopTokens top = device.headsTopK(onDevice, hidden, pending, classifier, embedding, branching);
        int depth = Math.min(maxDepth, heads.count());
        int[][] tokens = java.util.Arrays.copyOf(top.tokens(), depth);
        TreeBuilder.Ranked ranked = TreeBuilder.bestFirst(tokens, java.util.Arrays.copyOf(top.probs(), depth), budget, depth);
        return ranked.tree(sizer == null ? ranked.size() : sizer.size(ranked.scores()), tokens);
    }

    /** Entropy (nats) of softmax(logits). */
    static double entropy(float[] logits) {
        float[] p = HostMath.softmax(logits);
        double h = 0;
        for (float v : p) {
            if (v > 0) {
                h -= v * Math.log(v);
            }
        }
        return h;
    }

}
