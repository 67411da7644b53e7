package dev.tandem.decoding.heads;

import dev.tandem.core.TandemException;
import dev.tandem.models.LlamaConfig;
import dev.tandem.models.io.Safetensors;
import java.nio.file.Path;
import java.util.Map;

/**
 * Heads and hidden-transfer files trained on a small model, padded for the model inflated from it
 * ({@code tandem synth --from}): the inflated residual stream is the small one followed by zeros, so each
 * weight matrix keeps its values in the top-left corner of every d x d block and is zero elsewhere. The
 * padded drafter then computes exactly what the small one did, at the big width's cost.
 */
public final class PaddedHeads {
    private PaddedHeads() {}

    /** Pads the heads or hidden-transfer file {@code in} to {@code big}'s width; returns what it was. */
    public static String write(Path in, Path out, LlamaConfig small, LlamaConfig big) {
        Map<String, String> meta = Safetensors.read(in).metadata();
        Map<String, String> notes = new java.util.LinkedHashMap<>(meta);
        notes.keySet().removeAll(java.util.List.of("format", "kind", "heads", "dim", "vocab", "model", "layer", "transfers"));
        notes.put("padded_from_dim", Integer.toString(small.dim()));
        if (TransferMaps.FORMAT.equals(meta.get("format"))) {
            TransferMaps maps = TransferMaps.load(in, small);
            TransferMaps padded = new TransferMaps(maps.layer(), big.dim(), maps.count(), maps.modelName());
            for (int i = 0; i < maps.count(); i++) {
                pad(maps.w(i), small.dim(), 1, padded.w(i), big.dim());
                System.arraycopy(maps.b(i), 0, padded.b(i), 0, small.dim());
            }
            padded.save(out, notes);
            return "hidden-transfer maps (layer " + maps.layer() + ", " + maps.count() + " transfers)";
        }
        if (!HeadsFile.FORMAT.equals(meta.get("format"))) {
            throw new TandemException(in + " is neither a heads file nor a hidden-transfer file");
        }
        Heads heads = HeadsFile.load(in, small);
        Heads padded = new Heads(heads.kind(), heads.count(), big.dim(), heads.vocab(), heads.modelName());
        int segments = heads.kind().inputSize(1); // Cerberus reads [h; z_prev; e_prev]: three d-wide inputs
        for (int k = 0; k < heads.count(); k++) {
            pad(heads.w[k], small.dim(), segments, padded.w[k], big.dim());
            System.arraycopy(heads.b[k], 0, padded.b[k], 0, small.dim());
        }
        HeadsFile.save(out, padded, notes);
        return heads.kind().id() + " heads (" + heads.count() + ")";
    }

    /** Copies a d x (segments*d) matrix into a D x (segments*D) one, each d-wide input segment at the start of its D-wide one. */
    static void pad(float[] src, int d, int segments, float[] dst, int big) {
        int in = segments * d, bigIn = segments * big;
        for (int r = 0; r < d; r++) {
            for (int seg = 0; seg < segments; seg++) {
                System.arraycopy(src, r * in + seg * d, dst, r * bigIn + seg * big, d);
            }
        }
    }
}
