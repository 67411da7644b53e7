package dev.tandem.decoding.heads;

import dev.tandem.core.Shown;
import dev.tandem.core.TandemException;
import dev.tandem.models.LlamaConfig;
import dev.tandem.models.io.Safetensors;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Heads as safetensors: tensors {@code heads.K.w} (dim x input) and {@code heads.K.b} (dim), and their
 * configuration in the metadata ({@code format=tandem-heads}, kind, heads, dim, vocab, model, plus
 * whatever training notes the caller adds).
 */
public final class HeadsFile {
    public static final String FORMAT = "tandem-heads";

    private HeadsFile() {}

    public static void save(Path file, Heads heads, Map<String, String> notes) {
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("format", FORMAT);
        meta.put("kind", heads.kind().id());
        meta.put("heads", Integer.toString(heads.count()));
        meta.put("dim", Integer.toString(heads.dim()));
        meta.put("vocab", Integer.toString(heads.vocab()));
        meta.put("model", heads.modelName());
        meta.putAll(notes);
        Map<String, Safetensors.Entry> tensors = new LinkedHashMap<>();
        int in = heads.kind().inputSize(heads.dim());
        for (int k = 0; k < heads.count(); k++) {
            tensors.put("heads." + k + ".w", new Safetensors.Entry(new long[] {heads.dim(), in}, heads.w[k]));
            tensors.put("heads." + k + ".b", new Safetensors.Entry(new long[] {heads.dim()}, heads.b[k]));
        }
        Safetensors.write(file, tensors, meta);
    }

    /** Loads heads and checks that they belong to a model of this shape. */
    public static Heads load(Path file, LlamaConfig model) {
        DraftWeightsFile f = DraftWeightsFile.read(file, FORMAT, "heads file");
        Map<String, String> meta = f.metadata();
        HeadKind kind;
        try {
            kind = HeadKind.valueOf(meta.getOrDefault("kind", "").toUpperCase());
        } catch (RuntimeException e) {
            throw f.corrupt();
        }
        int count = f.integer("heads");
        int dim = f.integer("dim");
        int vocab = f.integer("vocab");
        if (dim != model.dim() || vocab != model.vocabSize()) {
            throw new TandemException("heads file " + file + " belongs to another model (" + Shown.quote(meta.getOrDefault("model", "?"))
                    + ": hidden size " + dim + ", vocabulary " + vocab + "); this model has hidden size " + model.dim()
                    + " and vocabulary " + model.vocabSize());
        }
        if (count < 1 || count > 64) {
            throw new TandemException("heads file " + file + " has an invalid head count " + count);
        }
        Heads heads = new Heads(kind, count, dim, vocab, meta.getOrDefault("model", "?"));
        int in = kind.inputSize(dim);
        for (int k = 0; k < count; k++) {
            heads.w[k] = f.tensor("heads." + k + ".w", dim * in);
            heads.b[k] = f.tensor("heads." + k + ".b", dim);
        }
        return heads;
    }
}
