package dev.tandem.core;

import java.util.Arrays;

/**
 * Who attends to whom inside a batch of new tokens: each row sees every cached position plus its
 * ancestors in the batch and itself. A chain has parents {@code [-1, 0, 1, ...]}; any parent array whose
 * parents come before their children is a token tree.
 *
 * <p>Rows list their path root-first, so a node attends to exactly the positions, in exactly the order,
 * that one-token-at-a-time decoding of that path would: this is what makes tree verification bitwise
 * equal to plain decoding.
 */
public final class TreeMask {
    private final int[] parents;
    private final int[][] paths;
    private final int[] depths;

    private TreeMask(int[] parents) {
        this.parents = parents.clone();
        int n = parents.length;
        this.paths = new int[n][];
        this.depths = new int[n];
        for (int i = 0; i < n; i++) {
            int p = parents[i];
            if (p < -1 || p >= i) {
                throw new TandemException("parent of batch row " + i + " is " + p
                        + "; a parent must be -1 (the cache) or an earlier row");
            }
            if (p == -1) {
                paths[i] = new int[] {i};
                depths[i] = 0;
            } else {
                int[] pp = paths[p];
                int[] path = Arrays.copyOf(pp, pp.length + 1);
                path[pp.length] = i;
                paths[i] = path;
                depths[i] = depths[p] + 1;
            }
        }
    }

    public static TreeMask of(int[] parents) {
        return new TreeMask(parents);
    }

    /** Parents {@code [-1, 0, 1, ..., n-2]}. */
    public static TreeMask chain(int n) {
        int[] parents = new int[n];
        for (int i = 0; i < n; i++) {
            parents[i] = i - 1;
        }
        return new TreeMask(parents);
    }

    public int size() {
        return parents.length;
    }

    public int parent(int row) {
        return parents[row];
    }

    /** Distance from the cache: 0 for rows whose parent is -1. */
    public int depth(int row) {
        return depths[row];
    }

    /** Batch rows from the root down to {@code row} inclusive. Do not modify. */
    public int[] path(int row) {
        return paths[row];
    }

    public int[] parents() {
        return parents.clone();
    }
}
