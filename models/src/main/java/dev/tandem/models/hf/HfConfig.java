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

    /** Llama 3 or linear RoPE scaling from {@code rope_scaling}, or null. */
    float[] ropeFactors(int headSize, float theta) {
        Object rs = values.get("rope_scaling");
        if (rs == null) {
            return null;
        }
        if (!(rs instanceof Map<?, ?> m)) {
            throw new TandemException(dir + "/config.json: rope_scaling must be an object");
        }
        Object type = m.get("rope_type") != null ? m.get("rope_type") : m.get("type");
        HfConfig s = new HfConfig(dir, cast(m));
        switch (String.valueOf(type)) {
            case "llama3" -> {
                return Rope.llama3Factors(headSize, theta, (float) s.real("factor", 8), (float) s.real("low_freq_factor", 1),
                        (float) s.real("high_freq_factor", 4), s.integer("original_max_position_embeddings"));
            }
            case "linear" -> {
                float[] f = new float[headSize / 2];
                java.util.Arrays.fill(f, (float) s.real("factor", 1));
                return f;
            }
            case "default" -> {
                return null;
            }
            default -> throw new TandemException(dir + "/config.json: RoPE scaling " + Shown.quote(type) + " is not supported (llama3 and linear are)");
        }
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> cast(Map<?, ?> m) {
        return (Map<String, Object>) m;
    }
}
