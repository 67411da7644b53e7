package dev.tandem.core.cpu;

import static dev.tandem.core.cpu.VectorMath.F;
import static dev.tandem.core.cpu.VectorMath.L;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;

/**
 * Numerically stable softmax on a slice of an array (subtracts the max before exponentiating). The last
 * chunk is masked rather than finished in scalar code; the arithmetic order depends only on the slice
 * length, so equal inputs give equal bits.
 */
public final class Softmax {
    private Softmax() {}

    public static void inPlace(float[] x, int offset, int n) {
        int upper = F.loopBound(n);
        VectorMask<Float> tail = F.indexInRange(upper, n);
        boolean hasTail = upper < n;

        FloatVector m = FloatVector.broadcast(F, Float.NEGATIVE_INFINITY);
        for (int i = 0; i < upper; i += L) {
            m = m.max(FloatVector.fromArray(F, x, offset + i));
        }
        if (hasTail) {
            m = m.lanewise(VectorOperators.MAX, FloatVector.fromArray(F, x, offset + upper, tail), tail);
        }
        float max = m.reduceLanes(VectorOperators.MAX); // max is exact in any order

        FloatVector acc = FloatVector.zero(F);
        for (int i = 0; i < upper; i += L) {
            FloatVector e = VectorMath.exp(FloatVector.fromArray(F, x, offset + i).sub(max));
            e.intoArray(x, offset + i);
            acc = acc.add(e);
        }
        if (hasTail) {
            FloatVector e = VectorMath.exp(FloatVector.fromArray(F, x, offset + upper, tail).sub(max));
            e = FloatVector.zero(F).blend(e, tail);
            e.intoArray(x, offset + upper, tail);
            acc = acc.add(e);
        }
        float sum = VectorMath.sum(acc);

        for (int i = 0; i < upper; i += L) {
            FloatVector.fromArray(F, x, offset + i).div(sum).intoArray(x, offset + i);
        }
        if (hasTail) {
            FloatVector.fromArray(F, x, offset + upper, tail).div(sum).intoArray(x, offset + upper, tail);
        }
    }
}
