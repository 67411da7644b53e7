package dev.tandem.core;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.SplittableRandom;

/** Blocks of a GGML block type made of random bytes with random finite F16 scales: every bit of every field varies. */
public final class RandomBlocks {
    private RandomBlocks() {}

    /** Byte offsets of the type's F16 fields (scales and mins) inside a block. */
    public static int[] halves(DType t) {
        return switch (t) {
            case Q8_0, Q4_0, Q5_0, IQ4_NL -> new int[] {0};
            case Q4_1, Q5_1, Q4_K, Q5_K -> new int[] {0, 2};
            case Q2_K -> new int[] {80, 82};
            case Q3_K -> new int[] {108};
            case Q6_K -> new int[] {208};
            default -> throw new IllegalArgumentException(t + " is not a block type");
        };
    }

    public static byte[] of(DType type, int blocks, SplittableRandom rnd) {
        byte[] bytes = new byte[blocks * type.blockBytes()];
        rnd.nextBytes(bytes);
        ByteBuffer bb = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        for (int b = 0; b < blocks; b++) {
            for (int h : halves(type)) { // either sign, over the magnitudes real files use
                bb.putShort(b * type.blockBytes() + h, Float.floatToFloat16((float) (rnd.nextDouble(-1, 1) * Math.pow(10, -rnd.nextInt(5)))));
            }
        }
        return bytes;
    }
}
