package dev.tandem.models.gguf;

import dev.tandem.core.DType;
import dev.tandem.core.TandemException;
import dev.tandem.core.Tensor;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.Collections;
import java.util.List;
import java.util.Map;

/**
 * A parsed GGUF file: its metadata, its tensor directory and the mapped data section. Values are
 * Long (integers), Float/Double, Boolean, String, or List of those (arrays).
 */
public record GgufFile(Path path, int version, Map<String, Object> metadata, Map<String, TensorInfo> tensors,
                       MemorySegment data) {

    /**
     * One tensor's directory entry. {@code dims[0]} is the innermost (contiguous) dimension, as in GGML:
     * a matrix of {@code rows x cols} has {@code dims = {cols, rows}}.
     */
    public record TensorInfo(String name, long[] dims, int ggmlType, long offset, long byteSize) {
        public long elements() {
            long n = 1;
            for (long d : dims) {
                n *= d;
            }
            return n;
        }

        public DType dtype() {
            return DType.fromGguf(ggmlType);
        }
    }

    public GgufFile {
        metadata = Collections.unmodifiableMap(metadata);
        tensors = Collections.unmodifiableMap(tensors);
    }

    public boolean has(String key) {
        return metadata.containsKey(key);
    }

    public String string(String key) {
        Object v = require(key);
        if (!(v instanceof String s)) {
            throw wrongType(key, "a string", v);
        }
        return s;
    }

    public long integer(String key) {
        Object v = require(key);
        if (!(v instanceof Long l)) {
            throw wrongType(key, "an integer", v);
        }
        return l;
    }

    /** An integer that must fit in a positive int (dimensions, counts). */
    public int positiveInt(String key) {
        long v = integer(key);
        if (v <= 0 || v > Integer.MAX_VALUE) {
            throw new TandemException("GGUF file " + path + ": " + key + " = " + v + " is out of range");
        }
        return (int) v;
    }

    public double real(String key) {
        Object v = require(key);
        if (v instanceof Float f) {
            return f;
        }
        if (v instanceof Double d) {
            return d;
        }
        if (v instanceof Long l) {
            return l;
        }
        throw wrongType(key, "a number", v);
    }

    public double real(String key, double fallback) {
        return has(key) ? real(key) : fallback;
    }

    public List<?> array(String key) {
        Object v = require(key);
        if (!(v instanceof List<?> l)) {
            throw wrongType(key, "an array", v);
        }
        return l;
    }

    private Object require(String key) {
        Object v = metadata.get(key);
        if (v == null) {
            throw new TandemException("GGUF file " + path + " lacks the metadata key " + key);
        }
        return v;
    }

    private TandemException wrongType(String key, String what, Object v) {
        return new TandemException("GGUF file " + path + ": " + key + " should be " + what + " but is "
                + (v instanceof List ? "an array" : v.getClass().getSimpleName()));
    }

    /**
     * The tensor {@code name} as a {@code rows x cols} view of the mapped data, checking its shape and type.
     * A 1-D tensor of n values is a 1 x n matrix.
     */
    public Tensor tensor(String name, int rows, int cols) {
        TensorInfo t = tensors.get(name);
        if (t == null) {
            throw new TandemException("GGUF file " + path + " has no tensor " + name);
        }
        long expectRows = t.dims.length == 1 ? 1 : t.dims[1];
        boolean shapeOk = t.dims[0] == cols && expectRows == rows;
        for (int i = 2; i < t.dims.length; i++) {
            shapeOk &= t.dims[i] == 1;
        }
        if (!shapeOk) {
            throw new TandemException("GGUF file " + path + ": tensor " + name + " has shape " + java.util.Arrays.toString(t.dims)
                    + ", expected [" + cols + ", " + rows + "]");
        }
        DType type = t.dtype();
        if (type == null) {
            throw new TandemException("GGUF file " + path + ": tensor " + name + " has GGML type " + GgufReader.typeName(t.ggmlType)
                    + ", which Tandem cannot compute with (supported: " + DType.names().toUpperCase(java.util.Locale.ROOT) + ")");
        }
        return Tensor.of(data.asSlice(t.offset, t.byteSize), type, rows, cols);
    }
}
