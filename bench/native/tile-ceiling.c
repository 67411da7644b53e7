// What the k-row tile shape can reach on this CPU, written in C (gcc -O2 -march=native): the ceiling the
// Java tiles (DecodedMatmul.dot4x4, FusedTiles.q8x4) are compared with in docs/MEASUREMENTS.md.
// Each output chain is Tandem's: per-lane FMAs over the columns in order, one accumulator vector per
// (weight row, batch row). Prints G multiply-adds/s per core for:
//   peak   12 independent 512-bit FMA chains in registers (no loads)
//   4x4    four decoded weight rows x four batch rows, 16 rows of activations of n columns (Java's dot4x4)
//   4x6    four weight rows x six batch rows (24 accumulators, 29 vector registers)
//   packed the 4x4 tile with weights and activations interleaved per 16 columns (one stream each)
#include <immintrin.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static float sink;

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

#define FMA(k, w, v) a[k] = _mm512_fmadd_ps(w, v, a[k])

static double peak(void) {
    __m512 a[12];
    for (int k = 0; k < 12; k++) a[k] = _mm512_set1_ps(k * 1e-3f);
    __m512 m = _mm512_set1_ps(0.999999f), c = _mm512_set1_ps(1e-7f);
    long n = 100000000L;
    double t = now();
    for (long i = 0; i < n; i++) {
#pragma GCC unroll 12
        for (int k = 0; k < 12; k++) a[k] = _mm512_fmadd_ps(a[k], m, c);
    }
    t = now() - t;
    for (int k = 0; k < 12; k++) sink += _mm512_reduce_add_ps(a[k]);
    return 12.0 * 16 * n / t / 1e9;
}

__attribute__((noinline)) static void tile4x4(const float *w, const float *x, int n, int rows) {
    for (int r = 0; r + 4 <= rows; r += 4) {
        __m512 a[16];
        for (int k = 0; k < 16; k++) a[k] = _mm512_setzero_ps();
        const float *x0 = x + (long) r * n, *x1 = x0 + n, *x2 = x1 + n, *x3 = x2 + n;
        for (int i = 0; i < n; i += 16) {
            __m512 w0 = _mm512_loadu_ps(w + i), w1 = _mm512_loadu_ps(w + n + i);
            __m512 w2 = _mm512_loadu_ps(w + 2 * n + i), w3 = _mm512_loadu_ps(w + 3 * n + i);
            __m512 v = _mm512_loadu_ps(x0 + i); FMA(0, w0, v); FMA(1, w1, v); FMA(2, w2, v); FMA(3, w3, v);
            v = _mm512_loadu_ps(x1 + i); FMA(4, w0, v); FMA(5, w1, v); FMA(6, w2, v); FMA(7, w3, v);
            v = _mm512_loadu_ps(x2 + i); FMA(8, w0, v); FMA(9, w1, v); FMA(10, w2, v); FMA(11, w3, v);
            v = _mm512_loadu_ps(x3 + i); FMA(12, w0, v); FMA(13, w1, v); FMA(14, w2, v); FMA(15, w3, v);
        }
        for (int k = 0; k < 16; k++) sink += _mm512_reduce_add_ps(a[k]);
    }
}

__attribute__((noinline)) static void tile4x6(const float *w, const float *x, int n, int rows) {
    for (int r = 0; r + 6 <= rows; r += 6) {
        __m512 a[24];
        for (int k = 0; k < 24; k++) a[k] = _mm512_setzero_ps();
        const float *xr = x + (long) r * n;
        for (int i = 0; i < n; i += 16) {
            __m512 w0 = _mm512_loadu_ps(w + i), w1 = _mm512_loadu_ps(w + n + i);
            __m512 w2 = _mm512_loadu_ps(w + 2 * n + i), w3 = _mm512_loadu_ps(w + 3 * n + i);
#pragma GCC unroll 6
            for (int t = 0; t < 6; t++) {
                __m512 v = _mm512_loadu_ps(xr + (long) t * n + i);
                FMA(4 * t, w0, v); FMA(4 * t + 1, w1, v); FMA(4 * t + 2, w2, v); FMA(4 * t + 3, w3, v);
            }
        }
        for (int k = 0; k < 24; k++) sink += _mm512_reduce_add_ps(a[k]);
    }
}

// packed: w[c*64 + g*16 + l], x[c*rows*16 + r*16 + l]
__attribute__((noinline)) static void packed4x4(const float *w, const float *x, int n, int rows) {
    for (int r = 0; r + 4 <= rows; r += 4) {
        __m512 a[16];
        for (int k = 0; k < 16; k++) a[k] = _mm512_setzero_ps();
        const float *xr = x + r * 16, *b = w;
        for (int c = 0; c < n / 16; c++, xr += rows * 16, b += 64) {
            __m512 w0 = _mm512_loadu_ps(b), w1 = _mm512_loadu_ps(b + 16);
            __m512 w2 = _mm512_loadu_ps(b + 32), w3 = _mm512_loadu_ps(b + 48);
            __m512 v = _mm512_loadu_ps(xr); FMA(0, w0, v); FMA(1, w1, v); FMA(2, w2, v); FMA(3, w3, v);
            v = _mm512_loadu_ps(xr + 16); FMA(4, w0, v); FMA(5, w1, v); FMA(6, w2, v); FMA(7, w3, v);
            v = _mm512_loadu_ps(xr + 32); FMA(8, w0, v); FMA(9, w1, v); FMA(10, w2, v); FMA(11, w3, v);
            v = _mm512_loadu_ps(xr + 48); FMA(12, w0, v); FMA(13, w1, v); FMA(14, w2, v); FMA(15, w3, v);
        }
        for (int k = 0; k < 16; k++) sink += _mm512_reduce_add_ps(a[k]);
    }
}

typedef void (*tile_fn)(const float *, const float *, int, int);

static double rate(tile_fn f, int n, int rows) {
    float *w = aligned_alloc(64, 4L * n * sizeof(float)), *x = aligned_alloc(64, (long) rows * n * sizeof(float));
    for (long i = 0; i < 4L * n; i++) w[i] = 1e-3f * (i % 7);
    for (long i = 0; i < (long) rows * n; i++) x[i] = 1e-3f * (i % 5);
    long reps = 400000000L / (4L * rows * n);
    double best = 0;
    for (int trial = 0; trial < 3; trial++) {
        double t = now();
        for (long k = 0; k < reps; k++) f(w, x, n, rows);
        t = now() - t;
        double g = 4.0 * rows * n * reps / t / 1e9;
        if (g > best) best = g;
    }
    free(w);
    free(x);
    return best;
}

int main(void) {
    double p = peak();
    printf("peak (12 FMA chains, registers only): %.1f G multiply-adds/s per core\n", p);
    printf("| columns | 4x4 (16 rows) | 4x6 (18 rows) | packed 4x4 (16 rows) |\n|---:|---:|---:|---:|\n");
    int cols[] = {512, 1024, 2048, 5632};
    for (int c = 0; c < 4; c++) {
        int n = cols[c];
        double a = rate(tile4x4, n, 16), b = rate(tile4x6, n, 18), d = rate(packed4x4, n, 16);
        printf("| %d | %.1f (%.0f%%) | %.1f (%.0f%%) | %.1f (%.0f%%) |\n", n, a, 100 * a / p, b, 100 * b / p, d, 100 * d / p);
    }
    return sink == 12345.0f;
}
