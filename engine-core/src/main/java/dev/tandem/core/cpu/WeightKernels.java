package dev.tandem.core.cpu;

import dev.tandem.core.DType;
import java.lang.foreign.MemorySegment;

/**
 * The CPU matmul kernels of one weight type: {@code out[r][j] = dot(w[j], x[r])} for k = 1..64 batch rows.
 * One subclass per type ({@link #of}); each holds its vector decoder and, where it has them, its one-row kernel
 * that decodes in registers ({@link #fused}) and its k-row tiles (an override of {@link #range}).
 *
 * <p>The default {@link #range}: four weight rows at a time are decoded once into a small float buffer, then
 * multiplied with every batch row ({@link DecodedMatmul}), so each weight byte is read from memory once per
 * call, whatever the number of rows. Every path runs the same chain per (row, feature), so a row's result
 * does not depend on the batch or the path. Each kernel is its own method: C2 must inline every vector
 * operation of a kernel, and one large method hits its inlining budget (see PERFORMANCE.md).
 */
abstract class WeightKernels {
    private static final WeightKernels[] BY_TYPE = new WeightKernels[DType.values().length];

    static {
        for (DType t : DType.values()) {
            BY_TYPE[t.ordinal()] = create(t);
        }
    }

    /** The kernels of {@code type}. */
    static WeightKernels of(DType type) {
        return BY_TYPE[type.ordinal()];
    }

    /**
     * The kernels for the weights {@code w}: with {@code int8Activations}, its type's integer kernels where it has them
     * ({@link #lanes}), else its type's, or a faster variant its values allow ({@link #forWeights}); {@code pool} runs
     * the one-time work a variant does first (a repacked copy's rows split over its threads).
     */
    static WeightKernels of(dev.tandem.core.Tensor w, boolean int8Activations, WorkerPool pool) {
        WeightKernels file = of(w.dtype());
        LaneTiles lanes = int8Activations ? lanes(w, file, pool) : null;
        return lanes != null ? lanes : file.forWeights(w);
    }

    /** These kernels, or a variant for weights like {@code w} (F16 whose halves are all finite: {@link FiniteHalves}). */
    WeightKernels forWeights(dev.tandem.core.Tensor w) {
        return this;
    }

    /**
     * The integer kernels of {@code w} for int8 activations, over a copy repacked on first use over {@code pool}'s
     * threads ({@link LaneTiles}); {@code file}: the kernels of the file's layout, for decoding rows. Null for the types
     * that keep float activations (IQ4_NL too where vectors are 128 bits: {@link IQ4_NLLaneKernels#APPLIES}).
     * Exhaustive, without a default, as {@link #create}.
     */
    private static LaneTiles lanes(dev.tandem.core.Tensor w, WeightKernels file, WorkerPool pool) {
        return switch (w.dtype()) {
            case Q4_0, Q4_K -> Q8LaneKernels.of(w, file, pool);
            case Q4_1 -> Q4_1LaneKernels.of(w, file, pool);
            case Q5_0, Q5_1 -> LegacyQ5LaneKernels.of(w, file, pool);
            case IQ4_NL -> IQ4_NLLaneKernels.APPLIES ? IQ4_NLLaneKernels.of(w, file, pool) : null;
            case Q2_K -> Q2_KLaneKernels.of(w, file, pool);
            case Q3_K -> Q3_KLaneKernels.of(w, file, pool);
            case Q5_K -> Q5_KLaneKernels.of(w, file, pool);
            case Q6_K -> Q6_KLaneKernels.of(w, file, pool);
            case F32, F16, BF16, Q8_0 -> null;
        };
    }

    // Exhaustive, without a default: a DType constant added without its kernels does not compile.
    private static WeightKernels create(DType t) {
        return switch (t) {
            case F32 -> new F32Kernels();
            case F16 -> new F16Kernels();
            case BF16 -> new BF16Kernels();
            case Q8_0 -> new Q8_0Kernels();
            case Q4_0, Q4_1 -> new FourBitBlockKernels(t);
            case Q4_K -> new Q4_KKernels();
            case Q5_K -> new Q5_KKernels();
            case Q6_K -> new Q6_KKernels();
            case IQ4_NL -> NibbleLevelKernels.iq4nl();
            case Q5_0, Q5_1 -> new LegacyBlockKernels(t);
            case Q2_K -> new Q2_KKernels();
            case Q3_K -> new Q3_KKernels();
        };
    }

    final DType type;
    /**
     * Weight rows per call of {@link #fused} (features {@code j + g * q}); 0 when the type has no one-row kernel
     * and decodes through the buffer at every k.
     */
    private final int fusedWidth;

    WeightKernels(DType type) {
        this(type, 0);
    }

    WeightKernels(DType type, int fusedWidth) {
        this.type = type;
        this.fusedWidth = fusedWidth;
    }

    /** The one-row kernel: {@code fusedWidth} weight rows against batch row r, decoded in registers. */
    void fused(float[] out, float[] x, int r, MemorySegment w, long rowBytes, int n, int d, int j, int q) {
        throw new IllegalStateException(type + " has no fused kernel");
    }

    /** Decodes one weight row of n values at byte {@code row} into buf at {@code b}, zero-padded to whole vectors. */
    abstract void decodeVector(MemorySegment w, long row, int n, float[] buf, int b);

    /** {@link #decodeVector}, or the scalar codec where this machine's vectors are too narrow for byte lanes. */
    final void decodeRow(MemorySegment w, long row, int n, float[] buf, int b) {
        if (type.quantized() && !BlockLoads.VECTOR_BLOCKS) {
            dev.tandem.core.Quantization.decode(type, w, row, n, buf, b); // same values, scalar
        } else {
            decodeVector(w, row, n, buf, b);
        }
    }

    /**
     * Output features {@code [j0, j1)} for all rows. The four weight rows decoded together come from the four
     * quarters of the range: four sequential streams per thread keep more memory reads in flight than one
     * (measured: 31 vs 24 GB/s on two threads).
     */
    void range(float[] out, float[] x, int rows, MemorySegment w, int n, int d, int j0, int j1) {
        long rowBytes = type.byteSize(n);
        int s = DecodedMatmul.stride(n);
        // decoding (1-3 rows): weights decoded in registers, no buffer round trip, and no buffer allocated
        // unless rows are left over (a decode step would otherwise zero ~100 KB per matmul and thread)
        int width = fusedWidth;
        boolean fusedPath = rows < 4 && width > 0 && (type.quantized() ? BlockLoads.VECTOR_BLOCKS : n % VectorMath.L == 0);
        if (fusedPath) {
            int qf = (j1 - j0) / width;
            for (int j = j0; j < j0 + qf; j++) {
                for (int r = 0; r < rows; r++) {
                    fused(out, x, r, w, rowBytes, n, d, j, qf);
                }
            }
            if (j0 + width * qf < j1) {
                tail(out, x, rows, w, rowBytes, n, d, j0 + width * qf, j1, new float[s]);
            }
            return;
        }
        float[] buf = new float[4 * s];
        float[] lanes = new float[DecodedMatmul.LANES];
        int q = (j1 - j0) / 4;
        for (int j = j0; j < j0 + q; j++) {
            for (int g = 0; g < 4; g++) {
                decodeRow(w, (j + g * q) * rowBytes, n, buf, g * s);
            }
            DecodedMatmul.rows(out, x, 0, rows, buf, s, n, d, j, q, lanes);
        }
        tail(out, x, rows, w, rowBytes, n, d, j0 + 4 * q, j1, buf);
    }

    /** Features {@code [j0, j1)} one at a time (the few left over by the grouped loops). */
    final void tail(float[] out, float[] x, int rows, MemorySegment w, long rowBytes, int n, int d, int j0, int j1, float[] buf) {
        for (int j = j0; j < j1; j++) {
            decodeRow(w, j * rowBytes, n, buf, 0);
            for (int r = 0; r < rows; r++) {
                out[r * d + j] = DecodedMatmul.dot1(x, r, buf, 0, n);
            }
        }
    }
}
