package dev.tandem.core.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * Shared Vector API pieces. Lane sums use a fixed butterfly of lane-wise adds instead of
 * {@code reduceLanes}, whose order is unspecified and may differ between interpreted and compiled code:
 * a dot product must give the same bits whichever kernel variant or compilation tier computed it.
 */
final class VectorMath {
    static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    static final int L = F.length();

    @SuppressWarnings("unchecked")
    private static final VectorShuffle<Float>[] BUTTERFLY = new VectorShuffle[Integer.numberOfTrailingZeros(L)];

    static {
        for (int s = L / 2, k = 0; s >= 1; s /= 2, k++) {
            int step = s;
            BUTTERFLY[k] = VectorShuffle.fromOp(F, i -> i ^ step);
        }
    }

    private VectorMath() {}

    /** Sum of all lanes in a fixed order. */
    static float sum(FloatVector v) {
        for (VectorShuffle<Float> shuffle : BUTTERFLY) {
            v = v.add(v.rearrange(shuffle));
        }
        return v.lane(0);
    }
}
