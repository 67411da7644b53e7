package dev.tandem.models;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.util.Random;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.RepetitionInfo;

/**
 * Tree attention is exact: one forward over a random token tree gives, for every node, bitwise the
 * logits of feeding that node's root-to-node path on its own; and after committing any path, decoding
 * continues exactly as if only that path had ever been fed.
 */
class TreeForwardPropertyTest extends OnStories260k {
    private static int[] prefix(Random rnd) {
        int[] p = new int[1 + rnd.nextInt(20)];
        p[0] = 1;
        for (int i = 1; i < p.length; i++) {
            p[i] = rnd.nextInt(512);
        }
        return p;
    }

    private static int[] randomParents(Random rnd, int n) {
        int[] parents = new int[n];
        for (int i = 0; i < n; i++) {
            // bias towards deep trees but allow several roots
            parents[i] = i == 0 || rnd.nextInt(8) == 0 ? -1 : rnd.nextInt(i);
        }
        return parents;
    }

    /** A random token tree of 1 to 32 nodes and the prompt fed before it, drawn in this order from one seed. */
    private record TreeCase(int n, int[] tokens, int[] parents, int[] prefix) {
        static TreeCase draw(Random rnd) {
            int n = 1 + rnd.nextInt(32);
            int[] tokens = rnd.ints(n, 0, 512).toArray();
            int[] parents = randomParents(rnd, n);
            return new TreeCase(n, tokens, parents, TreeForwardPropertyTest.prefix(rnd));
        }
    }

    /** Feeds {@code tokens} as a chain and keeps them all in the cache, as a prompt is kept. */
    private static void feedAndCommit(Transformer t, int[] tokens) {
        t.forward(Batch.chain(tokens));
        t.cache().commit(chain(tokens.length));
    }

    private static int[] pathTokens(int[] tokens, int[] path) {
        int[] out = new int[path.length];
        for (int i = 0; i < path.length; i++) {
            out[i] = tokens[path[i]];
        }
        return out;
    }

    @RepeatedTest(25)
    void treeForwardEqualsEachPathAlone(RepetitionInfo info) {
        TreeCase c = TreeCase.draw(new Random(1000 + info.getCurrentRepetition()));
        int n = c.n();
        int[] tokens = c.tokens();

        Transformer tree = new Transformer(model, backend, 64);
        feedAndCommit(tree, c.prefix());
        Batch batch = Batch.tree(tokens, c.parents());
        ForwardResult tr = tree.forward(batch);
        float[][] treeLogits = new float[n][];
        for (int i = 0; i < n; i++) {
            treeLogits[i] = tr.logits(i);
        }

        Transformer alone = new Transformer(model, backend, 64);
        for (int i = 0; i < n; i++) {
            alone.cache().reset();
            feedAndCommit(alone, c.prefix());
            int[] path = batch.mask().path(i);
            ForwardResult r = alone.forward(Batch.chain(pathTokens(tokens, path)));
            assertArrayEquals(r.logits(path.length - 1), treeLogits[i], 0f, "node " + i + " of " + n);
        }
    }

    @RepeatedTest(25)
    void commitOfAnyPathContinuesAsIfOnlyThatPathWasFed(RepetitionInfo info) {
        Random rnd = new Random(5000 + info.getCurrentRepetition());
        TreeCase c = TreeCase.draw(rnd);
        int[] next = rnd.ints(1 + rnd.nextInt(4), 0, 512).toArray();

        Transformer t = new Transformer(model, backend, 64);
        feedAndCommit(t, c.prefix());
        Batch batch = Batch.tree(c.tokens(), c.parents());
        t.forward(batch);
        int[] path = batch.mask().path(rnd.nextInt(c.n()));
        t.cache().commit(path);
        ForwardResult after = t.forward(Batch.chain(next));

        Transformer ref = new Transformer(model, backend, 64);
        feedAndCommit(ref, concat(c.prefix(), pathTokens(c.tokens(), path)));
        ForwardResult expected = ref.forward(Batch.chain(next));
        for (int i = 0; i < next.length; i++) {
            assertArrayEquals(expected.logits(i), after.logits(i), 0f, "row " + i + " after committing " + path.length + " rows");
        }
    }

    static int[] chain(int n) {
        int[] rows = new int[n];
        for (int i = 0; i < n; i++) {
            rows[i] = i;
        }
        return rows;
    }

    static int[] concat(int[] a, int[] b) {
        int[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
