package dev.tandem.core.cpu;

import static dev.tandem.core.cpu.VectorMath.F;
import static dev.tandem.core.cpu.VectorMath.L;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;

/**
 * Batch rows of x quantized to int8 as llama.cpp quantizes them for its dot products on x86 (per 32-value block for
 * Q4_0, {@code quantize_row_q8_0}: {@code d = amax / 127}, {@code q = round(x / d)} rounding half to even, d then kept
 * as an F16; per 256 values for Q4_K, {@code quantize_row_q8_K}), laid out for {@link Q4_0Lanes}:
 * per group of 32 blocks, 32 runs of 32 shorts, run {@code 4t + nibble} holding value {@link #VALUE}[4t + nibble]
 * of every block. Beside them, per block: {@code 8·Σq} (Q4_0's offset, taken off once per block) and d. The scales
 * d are stored in the order the kernel's int lanes see the blocks (even blocks of a vector's span, then odd ones).
 */
final class Q8Activations {
    /** Short lanes per vector: blocks per part of a group. */
    static final int LS = 2 * L;
    /** Which of a block's values is nibble run {@code i} (i = 4t + nibble): the order of a repacked short's nibbles. */
    static final int[] VALUE = new int[32];
    /** The run of value e. */
    private static final int[] RUN = new int[32];
    private static final float ROUND = 0x1.8p23f; // adding and taking it off rounds to an integer, half to even

    static {
        for (int t = 0; t < 8; t++) {
            int[] values = {2 * t, 2 * t + 16, 2 * t + 1, 2 * t + 17};
            for (int nib = 0; nib < 4; nib++) {
                VALUE[4 * t + nib] = values[nib];
                RUN[values[nib]] = 4 * t + nib;
            }
        }
    }

    final int groups;
    /** Per row and group: 1024 quantized values in nibble-run order. */
    final short[] q;
    /** Per row and block: 8·Σq, wrapped to 16 bits as the kernel's sums are. */
    final short[] offsets;
    /** Per row and block, in lane order: d. */
    final float[] scales;
    /** Per row and block, in lane order: {@code d·Σq}, the block's sum as the kernels see x (for types with offsets). */
    final float[] sums;

    /**
     * {@code superBlocks}: x quantized per 256 values as llama.cpp's {@code quantize_row_q8_K} does for the K-quants'
     * dot products ({@code 1/d = -127 / m}, m the first value of the largest magnitude, d kept as a float), each
     * 32-value block then taking that d; else per 32-value block as its {@code quantize_row_q8_0}.
     */
    Q8Activations(float[] x, int rows, int n, boolean superBlocks) {
        groups = Q4_0Lanes.groups(n);
        int blocks = n / 32;
        q = new short[rows * groups * Q4_0Lanes.GROUP_VALUES];
        offsets = new short[rows * groups * Q4_0Lanes.GROUP_BLOCKS];
        scales = new float[rows * groups * Q4_0Lanes.GROUP_BLOCKS];
        sums = new float[rows * groups * Q4_0Lanes.GROUP_BLOCKS];
        int[] ints = new int[32];
        int span = superBlocks ? 256 : 32;
        for (int r = 0; r < rows; r++) {
            float d = 0, id = 0;
            for (int b = 0; b < blocks; b++) {
                int xo = r * n + 32 * b;
                if (32 * b % span == 0) { // the scale of this block and the next span / 32 - 1
                    FloatVector amax = FloatVector.fromArray(F, x, xo).abs();
                    for (int e = L; e < span; e += L) {
                        amax = amax.max(FloatVector.fromArray(F, x, xo + e).abs());
                    }
                    float largest = amax.reduceLanes(VectorOperators.MAX); // max: the same whatever the order
                    if (superBlocks) {
                        int e = 0;
                        while (e < span - 1 && Math.abs(x[xo + e]) != largest) { // the first of that magnitude, with its sign
                            e++;
                        }
                        id = largest != 0 ? -127f / x[xo + e] : 0;
                        d = largest != 0 ? 1 / id : 0;
                    } else {
                        float exact = largest / 127;
                        id = exact != 0 ? 1 / exact : 0;
                        d = Float.float16ToFloat(Float.floatToFloat16(exact)); // kept as F16, as llama.cpp's block_q8_0 keeps it
                    }
                }
                for (int e = 0; e < 32; e += L) {
                    FloatVector v = FloatVector.fromArray(F, x, xo + e).mul(id).add(ROUND).sub(ROUND).min(127f);
                    ((IntVector) v.convert(VectorOperators.F2I, 0)).intoArray(ints, e);
                }
                int g = b / Q4_0Lanes.GROUP_BLOCKS, k = b % Q4_0Lanes.GROUP_BLOCKS, sum = 0;
                int base = (r * groups + g) * Q4_0Lanes.GROUP_VALUES + k;
                for (int e = 0; e < 32; e++) {
                    q[base + 32 * RUN[e]] = (short) ints[e];
                    sum += ints[e];
                }
                int blockIndex = (r * groups + g) * Q4_0Lanes.GROUP_BLOCKS;
                offsets[blockIndex + k] = (short) (8 * sum);
                int part = k / LS, lane = k % LS;
                scales[blockIndex + part * LS + (lane % 2) * (LS / 2) + lane / 2] = d;
                sums[blockIndex + part * LS + (lane % 2) * (LS / 2) + lane / 2] = d * sum;
            }
        }
    }
}
