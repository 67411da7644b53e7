package dev.tandem.core;

/**
 * The operations of a Llama-family forward pass. Every op works on the first {@code rows} rows of its
 * tensors, one row per new token, so the same code runs one token (decoding) or a whole draft tree
 * (verification). Implementations keep each row's arithmetic independent of how many rows share the
 * call: a row's result is bitwise the same alone or in a batch of 64.
 */
public interface Backend extends AutoCloseable {
    String name();

    /** A zeroed F32 activation tensor owned by this backend. */
    Tensor allocate(int rows, int cols);

    /** {@code out[r] = table[tokens[r]]}. */
    void embedding(Tensor out, Tensor table, int[] tokens, int rows);

    /** {@code out[r] = x[r] / rms(x[r]) * weight}; out may be x. */
    void rmsNorm(Tensor out, Tensor x, Tensor weight, int rows, float eps);

    /** {@code out[r][j] = dot(w[j], x[r])}: each weight row is read once for all {@code rows} rows. */
    void matmul(Tensor out, Tensor x, Tensor w, int rows);

    /**
     * {@code outs[i] = x · ws[i]} for each i: the matmuls of one x (wq, wk and wv; w1 and w3), which a backend may run
     * as one parallel section. Each output is bitwise what {@link #matmul} gives.
     */
    default void matmuls(Tensor[] outs, Tensor x, Tensor[] ws, int rows) {
        for (int i = 0; i < ws.length; i++) {
            matmul(outs[i], x, ws[i], rows);
        }
    }

    /** Rotates the first {@code cols} columns of each row, head by head, at that row's position. */
    void rope(Tensor x, int rows, int cols, int[] positions, RopeTable table);

    /** {@code gate[r] = silu(gate[r]) * up[r]}. */
    void swiglu(Tensor gate, Tensor up, int rows);

    /** {@code x[r] += y[r]}. */
    void add(Tensor x, Tensor y, int rows);

    /** {@code x[r] += bias} (a 1 x cols tensor) for every row. */
    void addBias(Tensor x, Tensor bias, int rows);

    /** Copies {@code rows} rows of src starting at srcRow into dst starting at dstRow. */
    void copyRows(Tensor src, int srcRow, Tensor dst, int dstRow, int rows);

    /**
     * Allocates one layer's key cache for {@code slots} positions. Its layout is the backend's own (the
     * CPU stores keys transposed); only {@link #storeKv}, {@link #moveKv} and {@link #attention} read it.
     */
    Tensor allocateKeys(int slots, int kvDim);

    /** Allocates one layer's value cache for {@code slots} positions. */
    Tensor allocateValues(int slots, int kvDim);

    /** Writes {@code rows} rows of k and v into cache slots {@code firstSlot, firstSlot + 1, ...}. */
    void storeKv(Tensor keyCache, Tensor valueCache, Tensor k, Tensor v, int firstSlot, int rows);

    /** Copies cache slot {@code from} to slot {@code to} (keys and values). */
    void moveKv(Tensor keyCache, Tensor valueCache, int from, int to);

    /**
     * Copies cache slot {@code from[i]} to slot {@code to[i]} for each i in order (keys and values): how the
     * cache keeps the accepted path of a verified tree. Every move goes down ({@code from[i] >= to[i]}) and
     * the destinations increase, so no source is overwritten before it is read. A device backend does all
     * moves in one launch.
     */
    default void compactKv(Tensor keyCache, Tensor valueCache, int[] from, int[] to) {
        for (int i = 0; i < from.length; i++) {
            moveKv(keyCache, valueCache, from[i], to[i]);
        }
    }

    /**
     * Attention of each batch row over the {@code cached} committed slots of the caches followed by its
     * ancestors in the batch (whose keys/values sit at slot {@code cached + batchRow}), in path order.
     */
    void attention(Tensor out, Tensor q, Tensor keyCache, Tensor valueCache, int cached, TreeMask mask,
                   AttentionShape shape);

    /** In-place softmax of each row's first {@code cols} values. */
    void softmax(Tensor x, int rows, int cols);

    /** Index of the largest value of a row (the first one on ties). */
    int argmax(Tensor x, int row);

    /**
     * Greedy acceptance of a verified token tree whose logits are rows {@code 0..n-1} of {@code logits} (row r
     * carries {@code tokens[r]}, its parent row is {@code parents[r]}, -1 for the root row 0): from the root,
     * descend into the first child row whose token is its parent's argmax, while there is one. Returns
     * {@code [L, row_1 .. row_L, token]}: the accepted rows root-first and the token the step adds. A device
     * backend runs it where the logits are, so only these ints come back.
     */
    default int[] acceptGreedy(Tensor logits, int[] tokens, int[] parents) {
        int n = parents.length;
        int[] out = new int[n + 2];
        int node = 0;
        int accepted = 0;
        while (true) {
            int best = argmax(logits, node);
            int next = -1;
            for (int c = node + 1; c < n && next < 0; c++) {
                if (parents[c] == node && tokens[c] == best) {
                    next = c;
                }
            }
            if (next < 0) {
                out[0] = accepted;
                out[1 + accepted] = best;
                return java.util.Arrays.copyOf(out, accepted + 2);
            }
            out[1 + accepted++] = next;
            node = next;
        }
    }

    /** Copies a row to the host. */
    float[] readRow(Tensor x, int row);

    @Override
    void close();
}
