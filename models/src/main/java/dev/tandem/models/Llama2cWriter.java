package dev.tandem.models;

import dev.tandem.core.TandemException;
import java.io.BufferedOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;

/**
 * Writes llama2.c checkpoints. Used for small synthetic models (seeded random weights) in tests: their
 * text is meaningless, but they exercise the same loader and forward pass as a trained model.
 */
public final class Llama2cWriter {
    private Llama2cWriter() {}

    /**
     * A model of the given shape with weights uniform in [-scale, scale] (norm weights 1), seeded.
     * {@code sharedClassifier} false writes a separate classifier (negative vocab_size in the header).
     */
    public static void writeRandom(Path file, LlamaConfig c, long seed, float scale) {
        SplittableRandom rnd = new SplittableRandom(seed);
        try (OutputStream os = new BufferedOutputStream(Files.newOutputStream(file), 1 << 16);
             DataOutputStream out = new DataOutputStream(os)) {
            int[] header = {c.dim(), c.hiddenDim(), c.layers(), c.heads(), c.kvHeads(),
                    c.sharedClassifier() ? c.vocabSize() : -c.vocabSize(), c.contextLength()};
            for (int h : header) {
                out.writeInt(Integer.reverseBytes(h));
            }
            long dim = c.dim(), kv = c.kvDim(), hid = c.hiddenDim(), layers = c.layers();
            random(out, rnd, c.vocabSize() * dim, scale);          // token embedding
            ones(out, layers * dim);                                  // attention norms
            random(out, rnd, layers * dim * dim, scale);             // wq
            random(out, rnd, layers * kv * dim, scale);              // wk
            random(out, rnd, layers * kv * dim, scale);              // wv
            random(out, rnd, layers * dim * dim, scale);             // wo
            ones(out, layers * dim);                                  // ffn norms
            random(out, rnd, layers * hid * dim, scale);             // w1
            random(out, rnd, layers * dim * hid, scale);             // w2
            random(out, rnd, layers * hid * dim, scale);             // w3
            ones(out, dim);                                           // final norm
            random(out, rnd, 2L * c.contextLength() * (c.headSize() / 2), 0f); // legacy RoPE tables (unused)
            if (!c.sharedClassifier()) {
                random(out, rnd, c.vocabSize() * dim, scale);
            }
        } catch (IOException e) {
            throw new TandemException("cannot write model file " + file + ": " + e.getMessage(), e);
        }
    }

    private static void random(DataOutputStream out, SplittableRandom rnd, long n, float scale) throws IOException {
        for (long i = 0; i < n; i++) {
            float v = scale == 0 ? 0f : (float) rnd.nextDouble(-scale, scale);
            out.writeInt(Integer.reverseBytes(Float.floatToRawIntBits(v)));
        }
    }

    private static void ones(DataOutputStream out, long n) throws IOException {
        for (long i = 0; i < n; i++) {
            out.writeInt(Integer.reverseBytes(Float.floatToRawIntBits(1f)));
        }
    }
}
