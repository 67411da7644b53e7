package dev.tandem.models;

import dev.tandem.core.AttentionShape;
import dev.tandem.core.Backend;
import dev.tandem.core.Tensor;
import dev.tandem.core.TreeMask;

/**
 * One forward pass over the batches of several sequences at once (continuous batching): the rows of every
 * sequence (each a chain or a draft tree) are stacked, so each matmul reads a weight once for all of them,
 * while each sequence's rows attend only to its own KV cache and their own ancestors.
 *
 * <p>It computes what {@link Transformer#forward} computes for each sequence alone, bitwise: the
 * backend's ops are row-independent (batch-invariant), and attention runs per sequence on that sequence's
 * rows with the same arguments a solo pass would give it. The rest of each block is {@link Activations}'
 * code, shared with {@code Transformer.forward}; {@code MultiSequenceForwardTest} compares the two bit for bit.
 *
 * <p>All sequences must be transformers of the same {@link Model} running the same number of layers on
 * the same backend. Not thread-safe: one pass at a time (the {@link ForwardBatcher} guarantees it).
 */
final class MultiSequenceForward {
    private final Model model;
    private final int layers;
    private final Backend backend;
    private final LlamaConfig c;
    private final LlamaWeights w;
    private final AttentionShape shape;

    private int capacity;
    private Activations a;
    // one sequence's rows at a time, for the backend's attention and KV ops (they start at row 0)
    private int seqCapacity;
    private Tensor sq;
    private Tensor sk;
    private Tensor sv;
    private Tensor satt;

    MultiSequenceForward(Model model, int layers, Backend backend) {
        this.model = model;
        this.layers = layers;
        this.backend = backend;
        this.c = model.config();
        this.w = model.weights();
        this.shape = c.attentionShape();
    }

    private void ensureCapacity(int rows, int maxSeqRows) {
        if (rows > capacity) {
            capacity = Math.max(rows, capacity * 2);
            a = new Activations(backend, c, capacity);
        }
        if (maxSeqRows > seqCapacity) {
            seqCapacity = maxSeqRows;
            sq = backend.allocate(seqCapacity, c.dim());
            sk = backend.allocate(seqCapacity, c.kvDim());
            sv = backend.allocate(seqCapacity, c.kvDim());
            satt = backend.allocate(seqCapacity, c.dim());
        }
    }

    /**
     * Runs {@code batches[s]} on top of {@code seqs[s]}'s committed cache, for every s, in one pass. Each
     * sequence's keys and values land in its own cache's scratch rows, and its result reads its own
     * transformer's buffers, exactly as after {@code seqs[s].forward(batches[s])}.
     */
    ForwardResult[] run(Transformer[] seqs, Batch[] batches) {
        int count = seqs.length;
        int[] offset = new int[count + 1];
        int maxSeqRows = 0;
        for (int s = 0; s < count; s++) {
            Transformer t = seqs[s];
            if (t.model() != model || t.layers() != layers || t.backend() != backend) {
                throw new IllegalArgumentException("a batched pass needs transformers of one model, layer count and backend");
            }
            Batch b = batches[s];
            int maxDepth = 0;
            for (int i = 0; i < b.size(); i++) {
                maxDepth = Math.max(maxDepth, b.mask().depth(i));
            }
            t.cache().checkFits(b.size(), maxDepth);
            checkTokens(b, c.vocabSize());
            offset[s + 1] = offset[s] + b.size();
            maxSeqRows = Math.max(maxSeqRows, b.size());
        }
        int n = offset[count];
        ensureCapacity(n, maxSeqRows);
        int[] tokens = new int[n];
        int[] positions = new int[n];
        for (int s = 0; s < count; s++) {
            Batch b = batches[s];
            int cached = seqs[s].cache().length();
            for (int i = 0; i < b.size(); i++) {
                tokens[offset[s] + i] = b.token(i);
                positions[offset[s] + i] = cached + b.mask().depth(i);
            }
        }

        backend.embedding(a.x, w.tokenEmbedding(), tokens, n);
        for (int l = 0; l < layers; l++) {
            LayerWeights lw = w.layers().get(l);
            a.queryKeyValue(lw, n, positions, seqs[0].ropeTable());
            for (int s = 0; s < count; s++) {
                KvCache cache = seqs[s].cache();
                int rows = batches[s].size();
                int o = offset[s];
                backend.copyRows(a.k, o, sk, 0, rows);
                backend.copyRows(a.v, o, sv, 0, rows);
                backend.copyRows(a.q, o, sq, 0, rows);
                backend.storeKv(cache.keys(l), cache.values(l), sk, sv, cache.length(), rows);
                backend.attention(satt, sq, cache.keys(l), cache.values(l), cache.length(), batches[s].mask(), shape);
                backend.copyRows(satt, 0, a.att, o, rows);
            }
            a.outputAndFeedForward(lw, n);
        }
        backend.rmsNorm(a.x, a.x, w.finalNorm(), n, c.normEps());

        // the classifier runs once over the rows that want logits (prefill chunks need only their last)
        int wanted = 0;
        for (int s = 0; s < count; s++) {
            Batch b = batches[s];
            int first = b.isLastLogitsOnly() ? b.size() - 1 : 0;
            int rows = b.size() - first;
            backend.copyRows(a.x, offset[s] + first, a.xb, wanted, rows);
            wanted += rows;
        }
        backend.matmul(a.logits, a.xb, w.classifier(), wanted);

        ForwardResult[] results = new ForwardResult[count];
        int logitRow = 0;
        for (int s = 0; s < count; s++) {
            Transformer t = seqs[s];
            Batch b = batches[s];
            TreeMask mask = b.mask();
            t.cache().stage(mask);
            int first = b.isLastLogitsOnly() ? b.size() - 1 : 0;
            int rows = b.size() - first;
            backend.copyRows(a.logits, logitRow, t.logitsBuffer(), 0, rows);
            logitRow += rows;
            Tensor hidden = null;
            if (b.wantsHiddenStates()) {
                hidden = t.residualBuffer();
                backend.copyRows(a.x, offset[s], hidden, 0, b.size());
            }
            results[s] = new ForwardResult(backend, t.logitsBuffer(), hidden, null, b.size(), first, n - b.size());
        }
        return results;
    }

    private static void checkTokens(Batch b, int vocab) {
        for (int i = 0; i < b.size(); i++) {
            int t = b.token(i);
            if (t < 0 || t >= vocab) {
                throw new dev.tandem.core.TandemException("token id " + t + " is outside the model's vocabulary of " + vocab);
            }
        }
    }
}
