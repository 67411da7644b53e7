package dev.tandem.decoding.speculative;

import dev.tandem.decoding.Sampler;
import java.util.Arrays;
import java.util.PriorityQueue;

/**
 * Drafts a token tree from an {@link NgramTable} of the target's own text, grown best-first by the estimated
 * chance that the target accepts each node's path: greedy, a node's children are the most frequent successors of
 * the longest context seen at least {@link #GREEDY_MIN_TOTAL} times (else of the longest known), each scored by the
 * table's confidence, so where the table is sure the tree is the chain of most frequent tokens and where it is not
 * a second candidate competes with the chain's next, less likely, token. A {@link DraftSizer} then keeps the
 * best-first prefix worth its verification rows (possibly none: a plain step), so on a model whose rows are nearly
 * free the tree grows and on one where each row costs a step it drafts only what is nearly certain. Free: no model
 * runs.
 *
 * <p>With sampling, a node's children are drawn one after another without replacement from the context's kept
 * successors in proportion to their counts, and verified by speculative sampling against that distribution q
 * (Sequoia's rule for siblings): a token is accepted with probability min(1, p(x) / q(x)), so where q is close to
 * the model's own p (a table counted from text sampled at the same temperature, a context seen often) nearly every
 * token is, where the most frequent token alone would be accepted only with its probability p(x).
 *
 * <p>Against the chains of the longest known context it replaced (simulated with the pass costs of the inflated
 * 1.1B model, {@code bench methods --simulate-costs}; MEASUREMENTS, "ngram drafts trees"): at temperature 0 1.76x
 * against 1.64x {@code ar} with the Intel Xeon's costs, 1.65x against 1.57x at issue 15's targets, 1.28x against
 * 1.25x with the AMD EPYC's (where a second row costs half a pass and a sibling seldom pays); at 0.8 the same as
 * chains (siblings are seldom worth their row there).
 */
public final class NgramDrafter implements Drafter {
    /**
     * A sampled draft's context must have been seen this often, else a shorter one that was is used: on stories260K
     * at temperature 0.8 (1 M positions of text sampled at 0.8, 20 k positions of other such text), a token drawn
     * from the longest context's counts is accepted 44% of the time, from the longest seen 4 / 16 / 64 times 53 / 56 /
     * 55%, and the most frequent token alone 35-39% (the model's own most likely token: 56%).
     */
    static final int SAMPLED_MIN_TOTAL = 16;
    /**
     * A greedy draft's context must have been seen this often, else a shorter one that was is used: a context seen
     * once or twice predicts worse than a shorter one seen more. Replayed with the inflated 1.1B's pass costs
     * (MEASUREMENTS, "ngram drafts trees"), 1 / 2 / 4 / 8: 1.24 / 1.29 / 1.28 / 1.27x {@code ar} with the AMD EPYC's
     * costs, 1.71 / 1.76 / 1.76 / 1.72x with the Intel Xeon's, 1.59 / 1.64 / 1.65 / 1.61x at issue 15's targets.
     */
    static final int GREEDY_MIN_TOTAL = 4;

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
    public void reset(TokenHistory history) {
        sizer.reset();
    }

    @Override
    public boolean gatesItself() {
        return true;
    }

    @Override
    public DraftTree propose(TokenHistory h, int maxDepth, Sampler sampler) {
        return tree(h, maxDepth, sampler != null && !sampler.params().greedy() ? sampler : null);
    }

    /**
     * A tree grown best-first by the estimated chance that the target accepts each node's path, at most
     * {@code maxDepth} nodes and that deep, then cut by the sizer. Greedy, a node's children are the context's kept
     * successors, each scored by its confidence; sampled ({@code sampler} not null), they are drawn one after another
     * without replacement from the successors' counts (Sequoia's rule, which the verifier follows), the j-th scored
     * a (1 - a)^j with a the context's expected acceptance. Where the table is sure of the next token the tree is
     * a chain; where it is not, a second candidate can be worth a row more than a chain's next, less likely, token.
     */
    private DraftTree tree(TokenHistory h, int maxDepth, Sampler sampler) {
        int context = Math.min(table.maxOrder(), h.size());
        int[] base = new int[context];
        for (int i = 0; i < context; i++) {
            base[i] = h.get(h.size() - context + i);
        }
        Growth g = new Growth(sampler);
        int[] tokens = new int[maxDepth], parents = new int[maxDepth];
        double[] scores = new double[maxDepth];
        float[][] q = new float[maxDepth][];
        int[][] paths = new int[maxDepth][];
        g.children(base, -1, 1);
        int nodes = 0;
        while (nodes < maxDepth && !g.frontier.isEmpty()) {
            Node c = g.frontier.poll();
            tokens[nodes] = c.token;
            parents[nodes] = c.parent;
            scores[nodes] = c.score;
            int[] above = c.parent < 0 ? base : paths[c.parent];
            int[] window = Arrays.copyOf(above, above.length + 1);
            window[above.length] = c.token;
            paths[nodes] = window;
            if (c.draws != null) {
                q[nodes] = c.draws.q;
                g.nextSibling(c);
            }
            if (window.length - context < maxDepth) {
                g.children(window, nodes, c.score);
            }
            nodes++;
        }
        int keep = sizer.size(Arrays.copyOf(scores, nodes));
        if (keep == 0) {
            return DraftTree.empty();
        }
        return sampler == null
                ? new DraftTree(Arrays.copyOf(tokens, keep), Arrays.copyOf(parents, keep), null, DraftTree.Kind.DETERMINISTIC)
                : new DraftTree(Arrays.copyOf(tokens, keep), Arrays.copyOf(parents, keep), Arrays.copyOf(q, keep),
                        DraftTree.Kind.SAMPLED_WITHOUT_REPLACEMENT);
    }

    /** The candidates of a growing tree, best first, and how they are made. */
    private final class Growth {
        final PriorityQueue<Node> frontier = new PriorityQueue<>();
        private final Sampler sampler;
        private int made;

        Growth(Sampler sampler) {
            this.sampler = sampler;
        }

        /** The candidates after {@code window} (the history and a node's path), children of node {@code parent}. */
        void children(int[] window, int parent, double score) {
            NgramTable.Successors s = table.successors(window, window.length, sampler == null ? GREEDY_MIN_TOTAL : SAMPLED_MIN_TOTAL);
            if (s == null) {
                return;
            }
            if (sampler == null) {
                for (int i = 0; i < s.tokens().length; i++) {
                    frontier.add(new Node(s.tokens()[i], parent, score * s.confidence(i), made++, null, 0));
                }
                return;
            }
            float[] q = distribution(s);
            Draws d = new Draws(q, q.clone(), expectedAcceptance(s), score);
            frontier.add(new Node(sampler.draw(d.left), parent, score * d.acceptance, made++, d, 0));
        }

        /** After sampled node c joined the tree: its next sibling, drawn from what c's draw left. */
        void nextSibling(Node c) {
            Draws d = c.draws;
            d.left[c.token] = 0f;
            if (!RejectionSamplingVerifier.normalize(d.left)) {
                return;
            }
            int j = c.sibling + 1;
            double score = d.parentScore * d.acceptance * Math.pow(1 - d.acceptance, j);
            frontier.add(new Node(sampler.draw(d.left), c.parent, score, made++, d, j));
        }
    }

    /** One node's sampled children: the distribution they are drawn from, what is left of it, their acceptance. */
    private record Draws(float[] q, float[] left, double acceptance, double parentScore) {}

    /** A candidate node: best score first, then the order made (so equal scores keep the table's order). */
    private record Node(int token, int parent, double score, int order, Draws draws, int sibling) implements Comparable<Node> {
        @Override
        public int compareTo(Node o) {
            int c = Double.compare(o.score, score);
            return c != 0 ? c : Integer.compare(order, o.order);
        }
    }

    /** q: the kept successors in proportion to their counts. */
    private float[] distribution(NgramTable.Successors s) {
        float[] q = new float[table.vocabSize()];
        long sum = s.keptCount();
        for (int i = 0; i < s.tokens().length; i++) {
            q[s.tokens()[i]] = (float) ((double) s.counts()[i] / sum);
        }
        return q;
    }

    /**
     * The chance a token drawn from q is accepted, sum over x of min(p(x), q(x)), estimated without p: the share of
     * the context's occurrences its kept successors cover (mass q cannot place), shrunk for few observations
     * (q from n draws of p strays from p by about sqrt(successors / n)). The sizer's calibration corrects the scale.
     */
    static double expectedAcceptance(NgramTable.Successors s) {
        double covered = (double) s.keptCount() / s.total();
        return Math.max(0, covered * (1 - Math.sqrt(s.counts().length / (double) (s.total() + 1)) / 2));
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
