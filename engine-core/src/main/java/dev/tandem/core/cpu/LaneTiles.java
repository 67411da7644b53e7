package dev.tandem.core.cpu;

import static dev.tandem.core.cpu.Q8Activations.LS;
import static dev.tandem.core.cpu.VectorMath.F;
import static dev.tandem.core.cpu.VectorMath.L;

import dev.tandem.core.DType;
import dev.tandem.core.Tensor;
import java.lang.foreign.MemorySegment;
import java.util.Collections;
import java.util.Map;
import java.util.WeakHashMap;
import java.util.function.Function;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * The matmul loop of the integer kernels over lane layouts ({@link Q8LaneKernels}: Q4_0 and Q4_K; {@link Q4_1LaneKernels};
 * {@link Q5_KLaneKernels} and {@link LegacyQ5LaneKernels}: Q5_K, Q5_0 and Q5_1; {@link Q6_KLaneKernels} and
 * {@link Q3_KLaneKernels}; {@link Q2_KLaneKernels}):
 * features in pairs (j, j + q), two streams per thread as {@link GroupScaledKernels}; batch rows four at a time where a
 * type has {@link #ints4} (Q4_0, Q4_1, Q4_K, Q6_K), else two ({@link #ints2}), each cutting a weight short's values out once
 * for all its rows, and an odd last one (in a one-row pass, every one) alone ({@link #single}).
 * A tile's 16-bit sums go through a small array to {@link #floats}: each is one method that C2 compiles with its own
 * budget (inlining into one stops at a node count, and a vector passed to a method not inlined is boxed). Each batch
 * row's integer sums are exact whatever the tile, and its float steps are the same calls, so a row's result does not
 * depend on the batch. A group holds {@link #GROUP_LANES} lanes (blocks or sub-blocks), cut into {@link #PARTS} parts
 * of one vector of shorts each.
 */
abstract class LaneTiles extends WeightKernels {
    /** Lanes (blocks, or sub-blocks) per group of a repacked row. */
    static final int GROUP_LANES = 32;
    /** Parts of a group: LS lanes each, one vector of shorts. */
    static final int PARTS = GROUP_LANES / LS;
    /** Shorts and ints as wide as the float vectors: the kernels' lanes. */
    static final VectorSpecies<Short> S = VectorSpecies.of(short.class, F.vectorShape());
    static final VectorSpecies<Integer> I = VectorSpecies.of(int.class, F.vectorShape());
    /** An F16's bits moved into a float's give the value times 2^-112: this factor makes the widening exact. */
    static final float P112 = 0x1p112f;
    /**
     * Q4_K's and Q5_K's 32-value sub-blocks: float lane m of a part takes the d (and dmin) of the part's super-block
     * m / 4 (sub-blocks 2m, 2m + 1 of 8 a super-block).
     */
    static final VectorShuffle<Float> SUPER_BLOCK = VectorShuffle.fromOp(F, m -> m / 4);
    /** Weight bytes per block of feature pairs in a multi-row pass: held in L2 while every row tile passes over them. */
    static final long PAIR_BLOCK_BYTES = 256 << 10;
    /** Feature pairs of a one-row pass whose lanes are summed together: 16 sums, one transposed butterfly. */
    static final int BATCHED = 8;
    private static final Map<Tensor, LaneTiles> REPACKED = Collections.synchronizedMap(new WeakHashMap<>());

    /** The weights, repacked. */
    final MemorySegment repacked;
    private final WeightKernels file;
    final int groupBytes;
    /** Vectors of 16-bit sums per part of the kernels' largest tile of batch rows. */
    private final int slots;
    private final Q8Activations.Layout layout;

    LaneTiles(DType type, MemorySegment repacked, WeightKernels file, int groupBytes, int slots, Q8Activations.Layout layout) {
        super(type);
        this.repacked = repacked;
        this.file = file;
        this.groupBytes = groupBytes;
        this.slots = slots;
        this.layout = layout;
    }

    /**
     * The kernels of {@code w}, repacked by {@code make} on first use (once per tensor, on the thread that asks: the
     * results must not change while the tensor is in use, so there is no float phase before it).
     */
    static LaneTiles of(Tensor w, Function<Tensor, LaneTiles> make) {
        return REPACKED.computeIfAbsent(w, make); // atomic: a synchronized map
    }

    @Override
    final void decodeVector(MemorySegment w, long row, int n, float[] buf, int b) {
        file.decodeVector(w, row, n, buf, b);
    }

    /** {@code w} is the file's layout, unused. */
    @Override
    final void range(float[] out, float[] x, int rows, MemorySegment w, int n, int d, int j0, int j1) {
        range(new Q8Activations(x, rows, n, layout()), out, rows, d, j0, j1);
    }

    /**
     * Output features {@code [j0, j1)} for all rows of x rounded for {@link #layout} ({@code a}). A one-row pass keeps
     * the accumulators of {@link #BATCHED} pairs and sums their lanes together: the transposed butterfly of
     * {@link VectorMath#laneSums} costs about 3 operations a sum for 16 sums and 6 for 2, and a pair at a time it was 7%
     * of a Q4_K_M decode step's samples. Each sum's order is the same whatever the count, so the results are too.
     */
    final void range(Q8Activations a, float[] out, int rows, int d, int j0, int j1) {
        long rowBytes = (long) a.groups * groupBytes;
        float[] lanes = new float[2 * BATCHED * L];
        short[] sums = new short[a.groups * PARTS * slots * LS];
        int q = (j1 - j0) / 2, pairs = j1 - j0 - q;
        if (rows == 1) {
            for (int p0 = 0; p0 < pairs; p0 += BATCHED) {
                int count = Math.min(BATCHED, pairs - p0);
                for (int u = 0; u < count; u++) {
                    int p = p0 + u, j = p < q ? j0 + p : j1 - 1, jq = p < q ? j + q : j;
                    single(a, 0, j * rowBytes, jq * rowBytes, sums, lanes, 2 * u);
                }
                VectorMath.laneSums(lanes, 2 * count);
                for (int u = 0; u < count; u++) {
                    int p = p0 + u, j = p < q ? j0 + p : j1 - 1, jq = p < q ? j + q : j;
                    out[jq] = lanes[2 * u + 1];
                    out[j] = lanes[2 * u];
                }
            }
            return;
        }
        // Rows outer within blocks of pairs: a tile's x rows stay in L1 while the block's weights (read from memory
        // once, by the first tile) come from L2 for the rest. Pairs outer, 16 rows of x (64 KB at n = 2048) came from
        // L2 for every pair: 1.3x slower from memory at 16 rows (docs/PERFORMANCE.md, "Multi-row passes").
        int block = (int) Math.max(1, PAIR_BLOCK_BYTES / (2 * rowBytes));
        for (int b0 = 0; b0 < pairs; b0 += block) {
            int b1 = Math.min(pairs, b0 + block);
            for (int r = 0, tile; r < rows; r += tile) {
                tile = r + 3 < rows && quads() ? 4 : r + 1 < rows ? 2 : 1;
                for (int p = b0; p < b1; p++) { // pairs (j, j + q), then the last feature of an odd count alone: both rows of its pair are it
                    int j = p < q ? j0 + p : j1 - 1, jq = p < q ? j + q : j;
                    tile(a, tile, r, j * rowBytes, jq * rowBytes, sums, lanes);
                    for (int u = 0; u < tile; u++) {
                        out[(r + u) * d + jq] = lanes[2 * u + 1];
                        out[(r + u) * d + j] = lanes[2 * u];
                    }
                }
            }
        }
    }

    /**
     * Batch rows {@code r .. r + tile - 1} (a tile of 1, 2 or 4) against the weight rows at {@code wa} and {@code wb}:
     * row r + u's two outputs into {@code lanes[2u]} and {@code lanes[2u + 1]}.
     */
    private void tile(Q8Activations a, int tile, int r, long wa, long wb, short[] sums, float[] lanes) {
        if (tile == 4) {
            ints4(a, r, wa, wb, sums);
            for (int u = 0; u < 4; u++) {
                floats(a, r + u, wa, wb, sums, u, lanes, 2 * u);
            }
        } else if (tile == 2) {
            ints2(a, r, wa, wb, sums);
            floats(a, r, wa, wb, sums, 0, lanes, 0);
            floats(a, r + 1, wa, wb, sums, 1, lanes, 2);
        } else {
            single(a, r, wa, wb, sums, lanes, 0);
        }
        VectorMath.laneSums(lanes, 2 * tile);
    }

    /** Whether these kernels have {@link #ints4}: tiles of four batch rows. */
    boolean quads() {
        return false;
    }

    /**
     * {@link #ints2} for batch rows r .. r + 3 (units 0-3), where {@link #quads}: each weight vector cut once for the
     * four rows.
     */
    void ints4(Q8Activations a, int r, long wa, long wb, short[] sums) {
        throw new UnsupportedOperationException(getClass().getSimpleName() + " has no four-row tiles");
    }

    /** How these kernels take x rounded. */
    final Q8Activations.Layout layout() {
        return layout;
    }

    /**
     * Batch row r alone against weight rows at {@code wa} and {@code wb}, their accumulators into
     * {@code lanes[acc·L, (acc + 1)·L)} and the next L: {@link #ints1}'s sums through {@code sums}, then {@link #floats}
     * (Q4_0 overrides it with a fused kernel). Two methods, not one: fused, Q6_K's passed C2's inlining cut-off and boxed
     * its vectors (3.5x slower).
     */
    void single(Q8Activations a, int r, long wa, long wb, short[] sums, float[] lanes, int acc) {
        ints1(a, r, wa, wb, sums);
        floats(a, r, wa, wb, sums, 0, lanes, acc);
    }

    /** {@link #ints2} for batch row r alone: unit 0's sums, in the slots {@link #floats} reads for unit 0. */
    abstract void ints1(Q8Activations a, int r, long wa, long wb, short[] sums);

    /**
     * The 16-bit sums of weight rows at {@code wa} and {@code wb} against batch rows r (unit 0) and r + 1 (unit 1) into
     * each part of {@code sums} ({@code slots} vectors of LS shorts per part, unit 1's after unit 0's), each weight
     * vector loaded and cut once for both.
     */
    abstract void ints2(Q8Activations a, int r, long wa, long wb, short[] sums);

    /**
     * {@link #ints2} as the loop over a row's groups and their parts, calling {@link #ints2Part} for each: for kernels
     * whose part is long enough that a call per part costs nothing measurable (IQ4_NL: its twelve chains over 32 lanes
     * and 8 positions), the loop written once. No vector crosses the call: the sums go through {@code sums}.
     */
    final void ints2ByPart(Q8Activations a, int r, long wa, long wb, short[] sums) {
        for (int g = 0; g < a.groups; g++) {
            for (int part = 0; part < PARTS; part++) {
                long at = (long) g * groupBytes + 2L * LS * part;
                ints2Part(a, r, wa + at, wb + at, g, part, sums);
            }
        }
    }

    /** The part of {@link #ints2ByPart}: part {@code part} of group g, the weight rows' shorts at {@code oa} and {@code ob}. */
    void ints2Part(Q8Activations a, int r, long oa, long ob, int g, int part, short[] sums) {
        throw new UnsupportedOperationException(getClass().getSimpleName() + " writes its own ints2");
    }

    /**
     * Batch row r's floats for weight rows at {@code wa} and {@code wb} from unit {@code unit}'s sums; their
     * accumulators into {@code lanes[acc·L, (acc + 1)·L)} and the next L.
     */
    abstract void floats(Q8Activations a, int r, long wa, long wb, short[] sums, int unit, float[] lanes, int acc);
}
