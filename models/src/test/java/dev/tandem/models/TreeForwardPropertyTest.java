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

    private static int[] pathTokens(int[] tokens, int[] path) {
        int[] out = new int[path.length];
        for (int i = 0; i < path.length; i++) {
            out[i] = tokens[path[i]];
        }
        return out;
    }

    @RepeatedTest(25)
    void treeForwardEqualsEachPathAlone(RepetitionInfo info) {
        Random rnd = new Random(1000 + info.getCurrentRepetition());
        int n = 1 + rnd.nextInt(32);
        int[] tokens = rnd.ints(n, 0, 512).toArray();
        int[] parents = randomParents(rnd, n);
        int[] prefix = prefix(rnd);

        Transformer tree = new Transformer(model, backend, 64);
        tree.forward(Batch.chain(prefix));
        tree.cache().commit(chain(prefix.length));
        Batch batch = Batch.tree(tokens, parents);
        ForwardResult tr = tree.forward(batch);
        float[][] treeLogits = new float[n][];
        for (int i = 0; i < n; i++) {
            treeLogits[i] = tr.logits(i);
        }

        Transformer alone = new Transformer(model, backend, 64);
        for (int i = 0; i < n; i++) {
            alone.cache().reset();
            alone.forward(Batch.chain(prefix));
            alone.cache().commit(chain(prefix.length));
            int[] path = batch.mask().path(i);
            ForwardResult r = alone.forward(Batch.chain(pathTokens(tokens, path)));
            assertArrayEquals(r.logits(path.length - 1), treeLogits[i], 0f, "node " + i + " of " + n);
        }
    }

    @RepeatedTest(25)
    void commitOfAnyPathContinuesAsIfOnlyThatPathWasFed(RepetitionInfo info) {
        Random rnd = new Random(5000 + info.getCurrentRepetition());
        int n = 1 + rnd.nextInt(32);
        int[] tokens = rnd.ints(n, 0, 512).toArray();
        int[] parents = randomParents(rnd, n);
        int[] prefix = prefix(rnd);
        int[] next = rnd.ints(1 + rnd.nextInt(4), 0, 512).toArray();

        Transformer t = new Transformer(model, backend, 64);
        t.forward(Batch.chain(prefix));
        t.cache().commit(chain(prefix.length));
        Batch batch = Batch.tree(tokens, parents);
        t.forward(batch);
        int[] path = batch.mask().path(rnd.nextInt(n));
        t.cache().commit(path);
        ForwardResult after = t.forward(Batch.chain(next));

        Transformer ref = new Transformer(model, backend, 64);
        int[] fed = concat(prefix, pathTokens(tokens, path));
        ref.forward(Batch.chain(fed));
        ref.cache().commit(chain(fed.length));
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
