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
        Safetensors.Contents c = Safetensors.read(file);
        Map<String, String> meta = c.metadata();
        if (!FORMAT.equals(meta.get("format"))) {
            throw new TandemException(file + " is not a Tandem heads file (no format=" + FORMAT + " in its metadata)");
        }
        HeadKind kind;
        int count;
        int dim;
        int vocab;
        try {
            kind = HeadKind.valueOf(meta.getOrDefault("kind", "").toUpperCase());
            count = Integer.parseInt(meta.get("heads"));
            dim = Integer.parseInt(meta.get("dim"));
            vocab = Integer.parseInt(meta.get("vocab"));
        } catch (RuntimeException e) {
            throw new TandemException("heads file " + file + " has corrupt metadata " + Shown.quote(meta.toString(), 300));
        }
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
            heads.w[k] = tensor(c, file, "heads file", "heads." + k + ".w", dim * in);
            heads.b[k] = tensor(c, file, "heads file", "heads." + k + ".b", dim);
        }
        return heads;
    }

    /** A tensor of {@code size} values that a {@code what} file must hold, or a clear error. */
    static float[] tensor(Safetensors.Contents c, Path file, String what, String name, int size) {
        Safetensors.Entry e = c.tensors().get(name);
        if (e == null || e.values().length != size) {
            throw new TandemException(what + " " + file + " is corrupt: tensor " + name
                    + (e == null ? " is missing" : " has " + e.values().length + " values, expected " + size));
        }
        return e.values();
    }
}
