package dev.tandem.decoding.speculative;

import dev.tandem.core.HostMath;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;

/**
 * Token trees from per-position candidates: {@code tokens[d][r]} is the rank-r candidate for draft depth
 * d + 1 and {@code probs[d][r]} its draft probability (candidates do not depend on their parent, as with
 * Medusa-style heads). Two shapes: a fixed sparse tree given as a list of rank paths (Medusa's
 * "choices"), and a dynamic tree grown best-first by cumulative probability up to a node budget.
 */
public final class TreeBuilder {
    private TreeBuilder() {}

    /** A tree of the given rank paths; prefixes of each path are added if missing. */
    public static DraftTree sparse(List<int[]> choices, int[][] tokens, int maxDepth) {
        List<int[]> paths = new ArrayList<>();
        java.util.Set<String> seen = new java.util.HashSet<>();
        for (int[] c : choices) {
            for (int len = 1; len <= Math.min(c.length, maxDepth); len++) {
                int[] prefix = Arrays.copyOf(c, len);
                if (seen.add(Arrays.toString(prefix)) && valid(prefix, tokens)) {
                    paths.add(prefix);
                }
            }
        }
        paths.sort((a, b) -> a.length != b.length ? Integer.compare(a.length, b.length) : Arrays.compare(a, b));
        return fromPaths(paths, tokens);
    }

    /**
     * The {@code budget} rank paths with the highest product of candidate probabilities, grown best-first
     * (a path's score never exceeds its parent's, so the result is a connected tree).
     */
    public static DraftTree dynamic(int[][] tokens, float[][] probs, int budget, int maxDepth) {
        Ranked r = bestFirst(tokens, probs, budget, maxDepth);
        return r.tree(r.size(), tokens);
    }

    /**
     * Rank paths in the order a best-first search by cumulative probability takes them, with their scores
     * (the product of their candidates' probabilities, an estimate of the chance the target accepts the
     * path). Every prefix of the order is a connected tree: a path comes after its parent.
     */
    public record Ranked(List<int[]> paths, double[] scores) {
        public int size() {
            return paths.size();
        }

        /** The tree of the first {@code n} paths. */
        public DraftTree tree(int n, int[][] tokens) {
            List<int[]> chosen = new ArrayList<>(paths.subList(0, n));
            chosen.sort((a, b) -> a.length != b.length ? Integer.compare(a.length, b.length) : Arrays.compare(a, b));
            return fromPaths(chosen, tokens);
        }

        /** Depth of the deepest of the first {@code n} paths. */
        public int depth(int n) {
            int d = 0;
            for (int i = 0; i < n; i++) {
                d = Math.max(d, paths.get(i).length);
            }
            return d;
        }
    }

    /** The first {@code budget} rank paths of the best-first order (see {@link Ranked}). */
    public static Ranked bestFirst(int[][] tokens, float[][] probs, int budget, int maxDepth) {
        record Candidate(int[] ranks, double score) {}
        PriorityQueue<Candidate> frontier = new PriorityQueue<>((a, b) -> Double.compare(b.score, a.score));
        List<int[]> chosen = new ArrayList<>();
        double[] scores = new double[Math.max(0, budget)];
        if (tokens.length > 0 && tokens[0].length > 0 && maxDepth > 0) {
            frontier.add(new Candidate(new int[] {0}, probs[0][0]));
        }
        while (!frontier.isEmpty() && chosen.size() < budget) {
            Candidate c = frontier.poll();
            scores[chosen.size()] = c.score;
            chosen.add(c.ranks);
            int d = c.ranks.length - 1;
            int last = c.ranks[d];
            if (last + 1 < tokens[d].length) { // next sibling
                int[] sib = c.ranks.clone();
                sib[d] = last + 1;
                double parentScore = d == 0 ? 1.0 : c.score / probs[d][last];
                frontier.add(new Candidate(sib, parentScore * probs[d][last + 1]));
            }
            if (d + 1 < Math.min(tokens.length, maxDepth) && tokens[d + 1].length > 0) { // first child
                int[] child = Arrays.copyOf(c.ranks, d + 2);
                frontier.add(new Candidate(child, c.score * probs[d + 1][0]));
            }
        }
        return new Ranked(chosen, Arrays.copyOf(scores, chosen.size()));
    }

    private static boolean valid(int[] ranks, int[][] tokens) {
        if (ranks.length > tokens.length) {
            return false;
        }
        for (int d = 0; d < ranks.length; d++) {
            if (ranks[d] < 0 || ranks[d] >= tokens[d].length) {
                return false;
            }
        }
        return true;
    }

    /** Paths sorted by length; each path's parent is its prefix. */
    private static DraftTree fromPaths(List<int[]> paths, int[][] tokens) {
        Map<String, Integer> index = new HashMap<>();
        int[] toks = new int[paths.size()];
        int[] parents = new int[paths.size()];
        for (int i = 0; i < paths.size(); i++) {
            int[] p = paths.get(i);
            toks[i] = tokens[p.length - 1][p[p.length - 1]];
            parents[i] = p.length == 1 ? -1 : index.get(Arrays.toString(Arrays.copyOf(p, p.length - 1)));
            index.put(Arrays.toString(p), i);
        }
        return new DraftTree(toks, parents, null, DraftTree.Kind.DETERMINISTIC);
    }

    /** Merges candidate continuations into a trie (shared prefixes become one branch). */
    public static DraftTree trie(List<int[]> chains, int maxNodes) {
        List<Integer> toks = new ArrayList<>();
        List<Integer> parents = new ArrayList<>();
        Map<Long, Integer> childOf = new HashMap<>(); // (parent, token) -> node
        for (int[] chain : chains) {
            int parent = -1;
            for (int t : chain) {
                long key = ((long) parent << 32) | (t & 0xffffffffL);
                Integer node = childOf.get(key);
                if (node == null) {
                    if (toks.size() >= maxNodes) {
                        break;
                    }
                    node = toks.size();
                    toks.add(t);
                    parents.add(parent);
                    childOf.put(key, node);
                }
                parent = node;
            }
        }
        return new DraftTree(toks.stream().mapToInt(Integer::intValue).toArray(),
                parents.stream().mapToInt(Integer::intValue).toArray(), null, DraftTree.Kind.DETERMINISTIC);
    }

    /**
     * Fills depth {@code d}'s row of {@code tokens} and {@code probs}, the layout {@link #dynamic} reads: the
     * {@code k} most likely tokens of softmax(logits), best first, and their probabilities.
     */
    public static void candidates(float[] logits, int k, int[][] tokens, float[][] probs, int d) {
        float[] p = HostMath.softmax(logits);
        tokens[d] = topK(p, k);
        probs[d] = new float[tokens[d].length];
        for (int r = 0; r < tokens[d].length; r++) {
            probs[d][r] = p[tokens[d][r]];
        }
    }

    /** Ids of the k largest values, largest first (lowest id on ties). */
    public static int[] topK(float[] p, int k) {
        k = Math.min(k, p.length);
        int[] best = new int[k];
        java.util.Arrays.fill(best, -1);
        for (int i = 0; i < p.length; i++) {
            int pos = k;
            while (pos > 0 && (best[pos - 1] < 0 || p[i] > p[best[pos - 1]])) {
                pos--;
            }
            if (pos < k) {
                System.arraycopy(best, pos, best, pos + 1, k - pos - 1);
                best[pos] = i;
            }
        }
        return best;
    }
}
