package dev.tandem.bench.fuzz;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Seeded mutations of a valid file: bit flips, interesting integers written over header fields, truncation,
 * byte runs, insertions and deletions (which shift every later field) and appended garbage. Most land in the
 * first {@code headerBytes}, where the counts and sizes a loader trusts live.
 */
final class Mutator {
    private static final long[] INTERESTING = {0, 1, -1, 2, 0x7F, 0x80, 0xFF, 0x7FFF, 0xFFFF, 1L << 25, 1L << 30,
        Integer.MAX_VALUE, 0xFFFFFFFFL, 1L << 32, 1L << 40, Long.MAX_VALUE, Long.MIN_VALUE};

    private final SplittableRandom rnd;
    private final int headerBytes;

    Mutator(long seed, int headerBytes) {
        this.rnd = new SplittableRandom(seed);
        this.headerBytes = headerBytes;
    }

    /** One mutant of {@code valid}, and what was done to it. */
    record Mutant(byte[] bytes, String how) {}

    Mutant next(byte[] valid) {
        byte[] f = valid.clone();
        int region = Math.max(1, Math.min(headerBytes, f.length));
        int kind = rnd.nextInt(100);
        if (kind < 35) {
            int flips = 1 + rnd.nextInt(3);
            for (int i = 0; i < flips; i++) {
                int at = rnd.nextInt(10) < 8 ? rnd.nextInt(region) : rnd.nextInt(f.length);
                f[at] ^= (byte) (1 << rnd.nextInt(8));
            }
            return new Mutant(f, flips + " bit flips");
        }
        if (kind < 60) {
            long v = INTERESTING[rnd.nextInt(INTERESTING.length)];
            int width = rnd.nextBoolean() ? 4 : 8;
            int at = rnd.nextInt(Math.max(1, region - width));
            for (int b = 0; b < width && at + b < f.length; b++) {
                f[at + b] = (byte) (v >>> (8 * b));
            }
            return new Mutant(f, "int" + width * 8 + " " + v + " at " + at);
        }
        if (kind < 72) {
            int cut = rnd.nextInt(10) < 7 ? rnd.nextInt(region) : rnd.nextInt(f.length);
            return new Mutant(Arrays.copyOf(f, cut), "cut at " + cut);
        }
        if (kind < 82) {
            int at = rnd.nextInt(region);
            int len = 1 + rnd.nextInt(16);
            for (int b = 0; b < len && at + b < f.length; b++) {
                f[at + b] = (byte) rnd.nextInt(256);
            }
            return new Mutant(f, len + " random bytes at " + at);
        }
        if (kind < 94) {
            int at = rnd.nextInt(region);
            int len = 1 + rnd.nextInt(8);
            if (rnd.nextBoolean()) {
                byte[] g = new byte[f.length + len];
                System.arraycopy(f, 0, g, 0, at);
                for (int b = 0; b < len; b++) {
                    g[at + b] = (byte) rnd.nextInt(256);
                }
                System.arraycopy(f, at, g, at + len, f.length - at);
                return new Mutant(g, len + " bytes inserted at " + at);
            }
            len = Math.min(len, f.length - at);
            byte[] g = new byte[f.length - len];
            System.arraycopy(f, 0, g, 0, at);
            System.arraycopy(f, at + len, g, at, f.length - at - len);
            return new Mutant(g, len + " bytes deleted at " + at);
        }
        int extra = 1 + rnd.nextInt(4096);
        byte[] g = Arrays.copyOf(f, f.length + extra);
        for (int b = f.length; b < g.length; b++) {
            g[b] = (byte) rnd.nextInt(256);
        }
        return new Mutant(g, extra + " bytes appended");
    }
}
