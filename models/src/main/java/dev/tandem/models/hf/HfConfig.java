package dev.tandem.models.hf;

import dev.tandem.core.Rope;
import dev.tandem.core.Shown;
import dev.tandem.core.TandemException;
import dev.tandem.models.io.Json;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/** A Hugging Face {@code config.json}, with checked accessors that name the folder and key in their errors. */
record HfConfig(Path dir, Map<String, Object> values) {

    @SuppressWarnings("unchecked")
    static Map<String, Object> read(Path dir) {
        Path file = dir.resolve("config.json");
        Object parsed;
        try {
            parsed = Json.parse(Files.readAllBytes(file));
        } catch (NoSuchFileException e) {
            throw new TandemException("model folder " + dir + " has no config.json (a Hugging Face folder needs config.json and model.safetensors)");
        } catch (IOException e) {
            throw new TandemException("cannot read " + file + ": " + e.getMessage(), e);
        } catch (TandemException e) {
            throw new TandemException(file + " is not valid JSON: " + e.getMessage());
        }
        if (!(parsed instanceof Map<?, ?> m)) {
            throw new TandemException(file + " is not a JSON object");
        }
        return (Map<String, Object>) m;
    }

    String architecture() {
        Object a = values.get("architectures");
        String name = a instanceof List<?> l && !l.isEmpty() ? String.valueOf(l.get(0)) : String.valueOf(values.get("model_type"));
        String arch = HfModel.ARCHITECTURES.get(name);
        if (arch == null) {
            throw new TandemException(dir + "/config.json: architecture " + Shown.quote(name) + " is not supported (supported: "
                    + String.join(", ", HfModel.ARCHITECTURES.keySet().stream().sorted().toList()) + ")");
        }
        return arch;
    }

    boolean has(String key) {
        return values.containsKey(key);
    }

    int integer(String key) {
        Object v = values.get(key);
        if (!(v instanceof Double d) || d != Math.floor(d) || d <= 0 || d > Integer.MAX_VALUE) {
            throw new TandemException(dir + "/config.json: " + key + " is " + (v == null ? "missing" : "invalid (" + v + ")")
                    + "; it must be a positive integer");
        }
        return d.intValue();
    }

    double real(String key, double fallback) {
        Object v = values.get(key);
        if (v == null) {
            return fallback;
        }
        if (!(v instanceof Double d)) {
            throw new TandemException(dir + "/config.json: " + key + " must be a number, got " + v);
        }
        return d;
    }

    /**
     * The rotation (half-split pairs, as Hugging Face's rotate_half), scaled as {@code rope_scaling} says: llama3,
     * linear or yarn (transformers' {@code _compute_yarn_parameters}: factor, original_max_position_embeddings,
     * beta_fast, beta_slow, and attention_factor, else from mscale and mscale_all_dim, else 0.1 ln(factor) + 1).
     */
    Rope rope(int headSize, float theta, int context) {
        Object rs = values.get("rope_scaling");
        if (rs == null) {
            return new Rope(theta, true, null);
        }
        if (!(rs instanceof Map<?, ?> m)) {
            throw new TandemException(dir + "/config.json: rope_scaling must be an object");
        }
        Object type = m.get("rope_type") != null ? m.get("rope_type") : m.get("type");
        HfConfig s = new HfConfig(dir, cast(m));
        switch (String.valueOf(type)) {
            case "llama3" -> {
                return new Rope(theta, true, Rope.llama3Factors(headSize, theta, (float) s.real("factor", 8),
                        (float) s.real("low_freq_factor", 1), (float) s.real("high_freq_factor", 4),
                        s.integer("original_max_position_embeddings")));
            }
            case "linear" -> {
                float[] f = new float[headSize / 2];
                java.util.Arrays.fill(f, (float) s.real("factor", 1));
                return new Rope(theta, true, f);
            }
            case "yarn" -> {
                float factor = (float) s.real("factor", 1);
                int original = s.has("original_max_position_embeddings") ? s.integer("original_max_position_embeddings") : context;
                float[] f = Rope.yarnFactors(headSize, theta, factor, original, (float) s.real("beta_fast", 32),
                        (float) s.real("beta_slow", 1));
                float magnitude;
                if (s.has("attention_factor")) {
                    magnitude = (float) s.real("attention_factor", 1);
                } else if (s.has("mscale") && s.has("mscale_all_dim")) {
                    magnitude = factor <= 1 ? 1f : (float) ((0.1 * s.real("mscale", 1) * Math.log(factor) + 1)
                            / (0.1 * s.real("mscale_all_dim", 1) * Math.log(factor) + 1));
                } else {
                    magnitude = Rope.yarnMagnitude(factor, 1);
                }
                return new Rope(theta, true, f, magnitude);
            }
            case "default" -> {
                return new Rope(theta, true, null);
            }
            default -> throw new TandemException(dir + "/config.json: RoPE scaling " + Shown.quote(type)
                    + " is not supported (llama3, linear and yarn are)");
        }
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> cast(Map<?, ?> m) {
        return (Map<String, Object>) m;
    }
}
