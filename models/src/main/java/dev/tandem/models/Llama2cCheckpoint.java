package dev.tandem.models;

import dev.tandem.core.DType;
import dev.tandem.core.TandemException;
import dev.tandem.models.io.MappedFile;
import dev.tandem.core.Tensor;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The llama2.c legacy checkpoint: seven little-endian int32 (dim, hidden_dim, n_layers, n_heads,
 * n_kv_heads, vocab_size, seq_len; a negative vocab_size means a separate classifier follows), then fp32
 * weights in a fixed order. The header is checked against the file length before anything is mapped.
 */
public final class Llama2cCheckpoint {
    private static final int HEADER_BYTES = 7 * 4;
    private static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    /** llama2.c models are trained with these; the format does not store them. */
    public static final float NORM_EPS = 1e-5f;
    public static final float ROPE_THETA = 10000f;

    private Llama2cCheckpoint() {}

    public static Model load(Path path) {
        Arena arena = Arena.ofShared();
        try {
            MemorySegment file = MappedFile.map(path, arena, "model file");
            if (file.byteSize() < HEADER_BYTES) {
                throw new TandemException("model file " + path + " is truncated: " + file.byteSize()
                        + " bytes, shorter than the 28-byte llama2.c header");
            }
            return parse(path, file, arena);
        } catch (RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    private static Model parse(Path path, MemorySegment file, Arena arena) {
        int[] h = new int[7];
        for (int i = 0; i < 7; i++) {
            h[i] = file.get(I32, i * 4L);
        }
        boolean shared = h[5] > 0;
        LlamaConfig config;
        try {
            config = new LlamaConfig(h[0], h[1], h[2], h[3], h[4], Math.abs(h[5]), h[6], NORM_EPS, ROPE_THETA, shared);
        } catch (TandemException e) {
            throw new TandemException("model file " + path + " is not a valid llama2.c checkpoint: " + e.getMessage());
        }
        long expected = expectedBytes(config);
        if (expected < 0) {
            throw new TandemException("model file " + path + " does not have a valid llama2.c header: its sizes (dim "
                    + config.dim() + ", hidden " + config.hiddenDim() + ", layers " + config.layers() + ", vocab "
                    + config.vocabSize() + ") describe more than 2^60 bytes of weights");
        }
        if (file.byteSize() != expected) {
            String what = file.byteSize() < expected ? "is truncated" : "is longer than its header says";
            throw new TandemException("model file " + path + " " + what + ": the header (dim " + config.dim()
                    + ", hidden " + config.hiddenDim() + ", layers " + config.layers() + ", vocab " + config.vocabSize()
                    + ", seq_len " + config.contextLength() + ") needs " + expected + " bytes, the file has " + file.byteSize());
        }
        Cursor c = new Cursor(file, HEADER_BYTES);
        int dim = config.dim();
        int kvDim = config.kvDim();
        int hidden = config.hiddenDim();
        int layers = config.layers();
        Tensor embedding = c.take(config.vocabSize(), dim);
        Tensor[] attNorm = c.perLayer(layers, 1, dim);
        Tensor[] wq = c.perLayer(layers, dim, dim);
        Tensor[] wk = c.perLayer(layers, kvDim, dim);
        Tensor[] wv = c.perLayer(layers, kvDim, dim);
        Tensor[] wo = c.perLayer(layers, dim, dim);
        Tensor[] ffnNorm = c.perLayer(layers, 1, dim);
        Tensor[] w1 = c.perLayer(layers, hidden, dim);
        Tensor[] w2 = c.perLayer(layers, dim, hidden);
        Tensor[] w3 = c.perLayer(layers, hidden, dim);
        Tensor finalNorm = c.take(1, dim);
        c.skip(2L * config.contextLength() * (config.headSize() / 2)); // legacy freq_cis_real/imag: RoPE is recomputed
        Tensor classifier = shared ? embedding : c.take(config.vocabSize(), dim);
        List<LayerWeights> list = new ArrayList<>(layers);
        for (int l = 0; l < layers; l++) {
            list.add(new LayerWeights(attNorm[l], wq[l], wk[l], wv[l], wo[l], ffnNorm[l], w1[l], w2[l], w3[l]));
        }
        return new Model(path, config, new LlamaWeights(embedding, List.copyOf(list), finalNorm, classifier), arena);
    }

    /** File size a header implies, or -1 when absurdly large (hostile headers must not overflow). */
    static long expectedBytes(LlamaConfig c) {
        double estimate = ((double) c.vocabSize() * c.dim() * 2 + (double) c.layers() * c.dim()
                * (4.0 * c.dim() + 3.0 * c.hiddenDim()) + (double) c.contextLength() * c.headSize()) * 4;
        if (estimate > 0x1p60) {
            return -1;
        }
        long dim = c.dim(), kv = c.kvDim(), hid = c.hiddenDim(), L = c.layers(), V = c.vocabSize();
        long floats = V * dim
                + L * (dim + dim * dim + 2 * kv * dim + dim * dim + dim + 3 * hid * dim)
                + dim
                + 2L * c.contextLength() * (c.headSize() / 2)
                + (c.sharedClassifier() ? 0 : V * dim);
        return HEADER_BYTES + floats * 4;
    }

    /** Hands out consecutive tensors from the file. */
    private static final class Cursor {
        private final MemorySegment file;
        private long offset;

        Cursor(MemorySegment file, long offset) {
            this.file = file;
            this.offset = offset;
        }

        Tensor take(int rows, int cols) {
            long bytes = DType.F32.byteSize((long) rows * cols);
            Tensor t = Tensor.of(file.asSlice(offset, bytes), DType.F32, rows, cols);
            offset += bytes;
            return t;
        }

        Tensor[] perLayer(int layers, int rows, int cols) {
            Tensor[] out = new Tensor[layers];
            for (int l = 0; l < layers; l++) {
                out[l] = take(rows, cols);
            }
            return out;
        }

        void skip(long floats) {
            offset += floats * 4;
        }
    }
}
