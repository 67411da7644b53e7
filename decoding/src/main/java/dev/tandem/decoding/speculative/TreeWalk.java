package dev.tandem.decoding.speculative;

import java.util.Arrays;

/**
 * The descent the point-mass verifiers share: from the root, each node either names the child to
 * descend into or ends the walk with the token the target adds there.
 */
final class TreeWalk {
    /** At a node (-1 = root): a child index to descend into, or {@link #stop(int)} of the token to add. */
    @FunctionalInterface
    interface Step {
        int at(int node);
    }

    private TreeWalk() {}

    /** The value a {@link Step} returns to stop with {@code token}. */
    static int stop(int token) {
        return -1 - token;
    }

    static Acceptance walk(DraftTree tree, Step step) {
        int[] path = new int[tree.maxDepth()];
        int n = 0;
        int node = -1;
        while (true) {
            int next = step.at(node);
            if (next < 0) {
                return new Acceptance(Arrays.copyOf(path, n), -1 - next);
            }
            path[n++] = next;
            node = next;
        }
    }

    /** The first child of {@code node} carrying {@code token}, or -1. */
    static int childWithToken(DraftTree tree, int node, int token) {
        for (int c : tree.children(node)) {
            if (tree.token(c) == token) {
                return c;
            }
        }
        return -1;
    }
}
