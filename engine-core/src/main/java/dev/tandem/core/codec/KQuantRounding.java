package dev.tandem.core.codec;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;

/**
 * GGML's searches for K-quant levels and scales ({@code ggml-quants.c}), ported operation for operation in
 * float so that Tandem's quantized bytes equal {@code llama-quantize}'s.
 */
final class KQuantRounding {
    /** Below this largest magnitude a group is all zeros. */
    static final float GROUP_MAX_EPS = 1e-15f;

    private KQuantRounding() {}

    /** GGML's {@code nearest_int}: round half to even through the float mantissa (|v| < 2^22). */
    static int nearestInt(float v) {
        int bits = Float.floatToRawIntBits(v + 12582912f);
        return (bits & 0x007fffff) - 0x00400000;
    }

    /** The value of largest magnitude among {@code x[xo .. xo + n)} (the first of equal ones), with its sign. */
    static float signedMax(float[] x, int xo, int n) {
        float max = 0, amax = 0;
        for (int i = 0; i < n; i++) {
            float ax = Math.abs(x[xo + i]);
            if (ax > amax) {
                amax = ax;
                max = x[xo + i];
            }
        }
        return max;
    }

    /**
     * Where {@code make_qx_quants} and {@code make_q3_quants} both start: every value rounded at the scale
     * {@code -nmax / max} ({@code max}: {@link #signedMax}) into {@code levels[lo ..]}, with the fit's sums; null,
     * the levels zeroed, for a group whose largest magnitude is below GGML's {@code GROUP_MAX_EPS}.
     */
    private static Sums firstRounding(float max, int n, int nmax, float[] x, int xo, int[] levels, int lo) {
        if (Math.abs(max) < GROUP_MAX_EPS) {
            Arrays.fill(levels, lo, lo + n, 0);
            return null;
        }
        roundSigned(x, xo, n, -nmax / max, nmax, levels, lo);
        return Sums.of(x, xo, n, levels, lo);
    }

    /**
     * {@code make_qx_quants(n, nmax, x, L, rmse_type = 1, qw = NULL)}: levels {@code 0 .. 2 nmax - 1} of
     * {@code x[xo .. xo + n)} into {@code levels[lo ..]}, weighted by x squared, searching 18 scales around
     * {@code -nmax / max}; returns the scale.
     */
    static float qxQuants(int n, int nmax, float[] x, int xo, int[] levels, int lo) {
        float max = signedMax(x, xo, n);
        Sums first = firstRounding(max, n, nmax, x, xo, levels, lo);
        if (first == null) {
            return 0f;
        }
        float scale = first.l2() != 0 ? first.lx() / first.l2() : 0f;
        float best = scale * first.lx();
        int[] trial = new int[n];
        for (int is = -9; is <= 9; is++) {
            if (is == 0) {
                continue;
            }
            roundSigned(x, xo, n, -(nmax + 0.1f * is) / max, nmax, trial, 0);
            Sums f = Sums.of(x, xo, n, trial, 0);
            if (f.l2() > 0 && f.lx() * f.lx() > best * f.l2()) {
                System.arraycopy(trial, 0, levels, lo, n);
                scale = f.lx() / f.l2();
                best = scale * f.lx();
            }
        }
        for (int i = 0; i < n; i++) {
            levels[lo + i] += nmax;
        }
        return scale;
    }

    /** {@code iscale · x} of the n values rounded to the signed levels {@code -nmax .. nmax - 1}, into {@code levels[lo ..]}. */
    private static void roundSigned(float[] x, int xo, int n, float iscale, int nmax, int[] levels, int lo) {
        for (int i = 0; i < n; i++) {
            levels[lo + i] = Math.max(-nmax, Math.min(nmax - 1, nearestInt(iscale * x[xo + i])));
        }
    }

    /** A fit's sums over the values, weights x²: x² · x · l (its numerator) and x² · l² (its denominator), GGML's order. */
    private record Sums(float lx, float l2) {
        static Sums of(float[] x, int xo, int n, int[] levels, int lo) {
            float lx = 0, l2 = 0;
            for (int i = 0; i < n; i++) {
                float w = x[xo + i] * x[xo + i];
                lx += w * x[xo + i] * levels[lo + i];
                l2 += w * levels[lo + i] * levels[lo + i];
            }
            return new Sums(lx, l2);
        }
    }

    /**
     * The first half of GGML's {@code quantize_row_q4_K_ref} / {@code quantize_row_q5_K_ref}: for the 256 values
     * at {@code x[k..]}, eight 32-value sub-blocks each get a scale and a min by {@link #qkx2Quants}, quantized
     * to 6 bits against the super-block's {@code d} and {@code dmin}; writes d and dmin (F16) at {@code o} and
     * the 12 packed scale bytes at {@code o + 4} of dst, and leaves each value's level (0..nmax) in levels.
     */
    static void scalesAndMins(float[] x, int k, int nmax, float rmin, int nstep, MemorySegment dst, long o,
                              int[] levels) {
        float[] scales = new float[8], mins = new float[8], weights = new float[32];
        int[] aux = new int[32];
        float maxScale = 0, maxMin = 0;
        for (int j = 0; j < 8; j++) {
            float sumX2 = 0;
            for (int l = 0; l < 32; l++) {
                sumX2 += x[k + 32 * j + l] * x[k + 32 * j + l];
            }
            float avX = (float) Math.sqrt(sumX2 / 32);
            for (int l = 0; l < 32; l++) {
                weights[l] = avX + Math.abs(x[k + 32 * j + l]);
            }
            scales[j] = qkx2Quants(32, nmax, x, k + 32 * j, weights, levels, 32 * j, mins, j, aux, rmin, 0.1f, nstep, false);
            if (scales[j] > maxScale) {
                maxScale = scales[j];
            }
            if (mins[j] > maxMin) {
                maxMin = mins[j];
            }
        }
        float invScale = maxScale > 0 ? 63f / maxScale : 0f;
        float invMin = maxMin > 0 ? 63f / maxMin : 0f;
        byte[] sc = new byte[12];
        for (int j = 0; j < 8; j++) {
            int ls = Math.min(63, nearestInt(invScale * scales[j]) & 0xFF);
            int lm = Math.min(63, nearestInt(invMin * mins[j]) & 0xFF);
            if (j < 4) {
                sc[j] = (byte) ls;
                sc[j + 4] = (byte) lm;
            } else {
                sc[j + 4] = (byte) ((ls & 0xF) | ((lm & 0xF) << 4));
                sc[j - 4] |= (byte) ((ls >> 4) << 6);
                sc[j] |= (byte) ((lm >> 4) << 6);
            }
        }
        short d = Float.floatToFloat16(maxScale / 63f), dmin = Float.floatToFloat16(maxMin / 63f);
        dst.set(BlockCodec.I16, o, d);
        dst.set(BlockCodec.I16, o + 2, dmin);
        MemorySegment.copy(sc, 0, dst, ValueLayout.JAVA_BYTE, o + 4, 12);
        for (int j = 0; j < 8; j++) {
            float dj = Float.float16ToFloat(d) * KQuantScales.scale(dst, o + 4, j);
            if (dj == 0) {
                continue; // the sub-block keeps the levels its own search chose, as GGML's does
            }
            float dm = Float.float16ToFloat(dmin) * KQuantScales.min(dst, o + 4, j);
            for (int i = 0; i < 32; i++) {
                levels[32 * j + i] = Math.max(0, Math.min(nmax, nearestInt((x[k + 32 * j + i] + dm) / dj)));
            }
        }
    }

    /**
     * {@code make_qkx2_quants(n, nmax, x, weights, L, &the_min, Laux, rmin, rdelta, nstep, useMad)}:
     * levels {@code 0..nmax} with a scale and a min (written to {@code mins[m]}, as a positive offset) that
     * minimize the weighted squared error (absolute error where {@code useMad}: Q2_K's) over nstep + 1
     * candidate scales; returns the scale.
     */
    static float qkx2Quants(int n, int nmax, float[] x, int xo, float[] weights, int[] levels, int lo, float[] mins, int m, int[] aux,
                            float rmin, float rdelta, int nstep, boolean useMad) {
        float min = x[xo], max = x[xo];
        float sumW = weights[0];
        float sumX = sumW * x[xo];
        for (int i = 1; i < n; i++) {
            if (x[xo + i] < min) {
                min = x[xo + i];
            }
            if (x[xo + i] > max) {
                max = x[xo + i];
            }
            float w = weights[i];
            sumW += w;
            sumX += w * x[xo + i];
        }
        if (min > 0) {
            min = 0;
        }
        if (max == min) {
            Arrays.fill(levels, lo, lo + n, 0);
            mins[m] = -min;
            return 0f;
        }
        float iscale = nmax / (max - min);
        float scale = 1 / iscale;
        float bestError = 0;
        for (int i = 0; i < n; i++) {
            int l = Math.max(0, Math.min(nmax, nearestInt(iscale * (x[xo + i] - min))));
            levels[lo + i] = l;
            float diff = scale * l + min - x[xo + i];
            bestError += weights[i] * (useMad ? Math.abs(diff) : diff * diff);
        }
        for (int is = 0; is <= nstep; is++) {
            iscale = (rmin + rdelta * is + nmax) / (max - min);
            float sumL = 0, sumL2 = 0, sumXL = 0;
            for (int i = 0; i < n; i++) {
                int l = Math.max(0, Math.min(nmax, nearestInt(iscale * (x[xo + i] - min))));
                aux[i] = l;
                float w = weights[i];
                sumL += w * l;
                sumL2 += w * l * l;
                sumXL += w * l * x[xo + i];
            }
            float det = sumW * sumL2 - sumL * sumL;
            if (det > 0) {
                float thisScale = (sumW * sumXL - sumX * sumL) / det;
                float thisMin = (sumL2 * sumX - sumL * sumXL) / det;
                if (thisMin > 0) {
                    thisMin = 0;
                    thisScale = sumXL / sumL2;
                }
                float curError = 0;
                for (int i = 0; i < n; i++) {
                    float diff = thisScale * aux[i] + thisMin - x[xo + i];
                    curError += weights[i] * (useMad ? Math.abs(diff) : diff * diff);
                }
                if (curError < bestError) {
                    System.arraycopy(aux, 0, levels, lo, n);
                    bestError = curError;
                    scale = thisScale;
                    min = thisMin;
                }
            }
        }
        mins[m] = -min;
        return scale;
    }

    /**
     * {@code make_q3_quants(n, nmax, x, L, do_rmse = true)}: signed levels {@code -nmax .. nmax - 1} of
     * {@code x[xo .. xo + n)}, refined value by value while the weighted (x squared) fit improves, stored
     * offset by nmax into {@code levels[lo ..]}; returns the scale.
     */
    static float q3Quants(int n, int nmax, float[] x, int xo, int[] levels, int lo) {
        float max = signedMax(x, xo, n);
        Sums first = firstRounding(max, n, nmax, x, xo, levels, lo);
        if (first == null) {
            return 0f;
        }
        float sumLX = first.lx(), sumL2 = first.l2();
        for (int iter = 0; iter < 5; iter++) {
            int changed = 0;
            for (int i = 0; i < n; i++) {
                float w = x[xo + i] * x[xo + i];
                float slx = sumLX - w * x[xo + i] * levels[lo + i];
                if (slx > 0) {
                    float sl2 = sumL2 - w * levels[lo + i] * levels[lo + i];
                    int newL = Math.max(-nmax, Math.min(nmax - 1, nearestInt(x[xo + i] * sl2 / slx)));
                    if (newL != levels[lo + i]) {
                        slx += w * x[xo + i] * newL;
                        sl2 += w * newL * newL;
                        if (sl2 > 0 && slx * slx * sumL2 > sumLX * sumLX * sl2) {
                            levels[lo + i] = newL;
                            sumLX = slx;
                            sumL2 = sl2;
                            changed++;
                        }
                    }
                }
            }
            if (changed == 0) {
                break;
            }
        }
        for (int i = 0; i < n; i++) {
            levels[lo + i] += nmax;
        }
        return sumL2 > 0 ? sumLX / sumL2 : 0f;
    }
}
