package dev.tandem.decoding.speculative;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A drafter's proposal: a token tree hanging below the root (the last token of the sequence, not yet fed
 * to the target). Node i has token {@code tokens[i]} and parent {@code parents[i]} (-1 = the root); parents
 * come before children.
 *
 * <p>{@link Kind} says how the tokens were chosen, which decides the lossless verification rule:
 * deterministic candidates (top-k, n-gram lookup, greedy reviews) are point masses; sampled ones were drawn
 * from the recorded distributions {@code q[i]} (each child independently, or siblings without replacement
 * from one q).
 */
public final class DraftTree {
    /** How the drafter chose the nodes. */
    public enum Kind {
        /** chosen deterministically (top-k, lookup, argmax): verify by sampling from the target */
        DETERMINISTIC,
        /** each node drawn independently from q[i]: verify by (tree) rejection sampling */
        SAMPLED,
        /** siblings drawn one after another without replacement from the same q: Sequoia's rule */
        SAMPLED_WITHOUT_REPLACEMENT
    }

    private static final DraftTree EMPTY = new DraftTree(new int[0], new int[0], null, Kind.DETERMINISTIC);

    private final int[] tokens;
    private final int[] parents;
    private final float[][] q;
    private final Kind kind;
    private final int[][] children; // children[node + 1]: node -1 is the root
    private final int[] depths;

    public DraftTree(int[] tokens, int[] parents, float[][] q, Kind kind) {
        if (tokens.length != parents.length || (q != null && q.length != tokens.length)) {
            throw new IllegalArgumentException("tokens, parents and q must have one entry per node");
        }
        if (kind != Kind.DETERMINISTIC && q == null) {
            throw new IllegalArgumentException("a sampled draft must carry the distributions it was drawn from");
        }
        this.tokens = tokens;
        this.parents = parents;
        this.q = q;
        this.kind = kind;
        List<List<Integer>> kids = new ArrayList<>();
        for (int i = 0; i <= tokens.length; i++) {
            kids.add(new ArrayList<>());
        }
        this.depths = new int[tokens.length];
        for (int i = 0; i < tokens.length; i++) {
            int p = parents[i];
            if (p < -1 || p >= i) {
                throw new IllegalArgumentException("parent of draft node " + i + " is " + p + "; it must be -1 or an earlier node");
            }
            kids.get(p + 1).add(i);
            depths[i] = p < 0 ? 1 : depths[p] + 1;
        }
        this.children = new int[tokens.length + 1][];
        for (int i = 0; i <= tokens.length; i++) {
            children[i] = kids.get(i).stream().mapToInt(Integer::intValue).toArray();
        }
    }

    public static DraftTree empty() {
        return EMPTY;
    }

    /** A chain of deterministic candidates. */
    public static DraftTree chain(int[] tokens) {
        int[] parents = new int[tokens.length];
        for (int i = 0; i < tokens.length; i++) {
            parents[i] = i - 1;
        }
        return new DraftTree(tokens.clone(), parents, null, Kind.DETERMINISTIC);
    }

    /** A chain sampled token by token, token i drawn from {@code q[i]}. */
    public static DraftTree sampledChain(int[] tokens, float[][] q) {
        int[] parents = new int[tokens.length];
        for (int i = 0; i < tokens.length; i++) {
            parents[i] = i - 1;
        }
        return new DraftTree(tokens.clone(), parents, q, Kind.SAMPLED);
    }

    public int size() {
        return tokens.length;
    }

    public boolean isEmpty() {
        return tokens.length == 0;
    }

    public int token(int node) {
        return tokens[node];
    }

    public int parent(int node) {
        return parents[node];
    }

    /** 1 for children of the root. */
    public int depth(int node) {
        return depths[node];
    }

    public int maxDepth() {
        int m = 0;
        for (int d : depths) {
            m = Math.max(m, d);
        }
        return m;
    }

    /** Children of a node, -1 for the root's. Do not modify. */
    public int[] children(int node) {
        return children[node + 1];
    }

    /** The distribution node's token was drawn from, or null for deterministic drafts. */
    public float[] q(int node) {
        return q == null ? null : q[node];
    }

    public Kind kind() {
        return kind;
    }

    public int[] tokens() {
        return tokens.clone();
    }

    public int[] parents() {
        return parents.clone();
    }

    @Override
    public String toString() {
        return "DraftTree" + Arrays.toString(tokens) + " parents " + Arrays.toString(parents) + " " + kind;
    }
}
