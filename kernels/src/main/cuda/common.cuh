// Shared device helpers: weight-type decoders in GGML block layout, and warp/block reductions.
// Weight rows are raw bytes; each decoder turns block b of a row into BLOCK floats, exactly as the CPU
// backend's codecs decode them (a half scale times an integer is one rounding in both; where the codec
// multiplies and then subtracts, __fmul_rn keeps nvcc from fusing the two). A row of n values is
// n / SUPER super-blocks of SUPER_BYTES bytes (the K-quants' 256-value super-blocks are decoded 32 values,
// one BLOCK, at a time).
#pragma once
#ifndef TDM_EMULATION
#include <cuda_fp16.h>
#endif

#define TDM_WARP 32

#ifdef TDM_EMULATION
#define TDM_DYNAMIC_SHARED(T, name) T* name = reinterpret_cast<T*>(tdm_emu::dynamic_shared())
#else
#define TDM_DYNAMIC_SHARED(T, name) \
    extern __shared__ __align__(16) unsigned char tdm_dynamic_shared_[]; \
    T* name = reinterpret_cast<T*>(tdm_dynamic_shared_)
#endif

static __device__ __forceinline__ float tdm_half(unsigned short h) {
#ifdef TDM_EMULATION
    unsigned sign = (h >> 15) & 1u, exp = (h >> 10) & 0x1Fu, man = h & 0x3FFu;
    float v;
    if (exp == 0) v = ldexpf((float)man, -24);                          // zero and subnormals
    else if (exp == 31) v = man ? __int_as_float(0x7FC00000) : INFINITY;
    else v = __uint_as_float(((exp + 112u) << 23) | (man << 13));
    return sign ? -v : v;
#else
    return __half2float(__ushort_as_half(h));
#endif
}

static __device__ __forceinline__ float tdm_bf16(unsigned short h) { return __uint_as_float((unsigned)h << 16); }

static __device__ __forceinline__ unsigned short tdm_u16(const unsigned char* p) {
    return (unsigned short)(p[0] | (p[1] << 8));
}

struct WeightF32 {
    static constexpr int BLOCK = 1, BYTES = 4, SUPER = 1, SUPER_BYTES = 4;
    static __device__ __forceinline__ void decode(const unsigned char* row, int b, float* v) {
        v[0] = reinterpret_cast<const float*>(row)[b];
    }
};

// F16 and BF16: two 16-bit values per block, so a row of n values is n / 2 blocks (n even).
template <float (*Convert)(unsigned short)>
struct WeightPairs {
    static constexpr int BLOCK = 2, BYTES = 4, SUPER = 2, SUPER_BYTES = 4;
    static __device__ __forceinline__ void decode(const unsigned char* row, int b, float* v) {
        const unsigned short* h = reinterpret_cast<const unsigned short*>(row) + 2 * b;
        v[0] = Convert(h[0]);
        v[1] = Convert(h[1]);
    }
};
using WeightF16 = WeightPairs<tdm_half>;
using WeightBF16 = WeightPairs<tdm_bf16>;

// Q8_0: a half scale d, then 32 signed bytes; value i = d * q[i].
struct WeightQ8_0 {
    static constexpr int BLOCK = 32, BYTES = 34, SUPER = 32, SUPER_BYTES = 34;
    static __device__ __forceinline__ void decode(const unsigned char* row, int b, float* v) {
        const unsigned char* p = row + (size_t)b * BYTES;
        float d = tdm_half(tdm_u16(p));
        const signed char* q = reinterpret_cast<const signed char*>(p + 2);
#pragma unroll
        for (int i = 0; i < 32; i++) v[i] = d * (float)q[i];
    }
};

// Q4_0: a half scale d, then 16 bytes; value i = d * ((low nibble of byte i) - 8), value i + 16 the high nibble.
struct WeightQ4_0 {
    static constexpr int BLOCK = 32, BYTES = 18, SUPER = 32, SUPER_BYTES = 18;
    static __device__ __forceinline__ void decode(const unsigned char* row, int b, float* v) {
        const unsigned char* p = row + (size_t)b * BYTES;
        float d = tdm_half(tdm_u16(p));
#pragma unroll
        for (int i = 0; i < 16; i++) {
            v[i] = d * (float)((int)(p[2 + i] & 0x0F) - 8);
            v[i + 16] = d * (float)((int)(p[2 + i] >> 4) - 8);
        }
    }
};

static __device__ __forceinline__ unsigned tdm_u32(const unsigned char* p) {
    return (unsigned)p[0] | ((unsigned)p[1] << 8) | ((unsigned)p[2] << 16) | ((unsigned)p[3] << 24);
}

// Q4_1: a half scale d and min m, then 16 bytes of nibbles as Q4_0's; value = q d + m.
struct WeightQ4_1 {
    static constexpr int BLOCK = 32, BYTES = 20, SUPER = 32, SUPER_BYTES = 20;
    static __device__ __forceinline__ void decode(const unsigned char* row, int b, float* v) {
        const unsigned char* p = row + (size_t)b * BYTES;
        float d = tdm_half(tdm_u16(p)), m = tdm_half(tdm_u16(p + 2));
#pragma unroll
        for (int i = 0; i < 16; i++) {
            v[i] = __fmul_rn((float)(p[4 + i] & 0x0F), d) + m;
            v[i + 16] = __fmul_rn((float)(p[4 + i] >> 4), d) + m;
        }
    }
};

// Q5_0 and Q5_1: Q4_0's and Q4_1's nibbles with a fifth bit each from a 32-bit word (bit i for value i);
// Q5_0's value = (q - 16) d, Q5_1's = q d + m.
template <bool MIN>
struct WeightQ5 {
    static constexpr int BLOCK = 32, BYTES = MIN ? 24 : 22, SUPER = 32, SUPER_BYTES = BYTES;
    static __device__ __forceinline__ void decode(const unsigned char* row, int b, float* v) {
        const unsigned char* p = row + (size_t)b * BYTES;
        float d = tdm_half(tdm_u16(p)), m = MIN ? tdm_half(tdm_u16(p + 2)) : 0.f;
        unsigned qh = tdm_u32(p + (MIN ? 4 : 2));
        const unsigned char* q = p + (MIN ? 8 : 6);
#pragma unroll
        for (int i = 0; i < 16; i++) {
            int lo = (q[i] & 0x0F) | (((qh >> i) << 4) & 0x10), hi = (q[i] >> 4) | ((qh >> (i + 12)) & 0x10);
            if (MIN) {
                v[i] = __fmul_rn((float)lo, d) + m;
                v[i + 16] = __fmul_rn((float)hi, d) + m;
            } else {
                v[i] = (float)(lo - 16) * d;
                v[i + 16] = (float)(hi - 16) * d;
            }
        }
    }
};
using WeightQ5_0 = WeightQ5<false>;
using WeightQ5_1 = WeightQ5<true>;

// IQ4_NL: Q4_0's block with the nibble an index into a fixed table of 16 non-linear levels; value = d level.
struct WeightIQ4_NL {
    static constexpr int BLOCK = 32, BYTES = 18, SUPER = 32, SUPER_BYTES = 18;
    static __device__ __forceinline__ void decode(const unsigned char* row, int b, float* v) {
        const signed char levels[16] = {-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113};
        const unsigned char* p = row + (size_t)b * BYTES;
        float d = tdm_half(tdm_u16(p));
#pragma unroll
        for (int i = 0; i < 16; i++) {
            v[i] = d * (float)levels[p[2 + i] & 0x0F];
            v[i + 16] = d * (float)levels[p[2 + i] >> 4];
        }
    }
};

// Q2_K: 84-byte super-blocks of 16 scale bytes (low nibble scale, high nibble min), 64 bytes of two-bit values,
// d, dmin. 32 values c (0..7) are bit pair c % 4 of bytes 32 (c / 4).., 16 values per scale byte (2c, 2c + 1);
// value = d sc q - dmin m.
struct WeightQ2_K {
    static constexpr int BLOCK = 32, SUPER = 256, SUPER_BYTES = 84;
    static __device__ __forceinline__ void decode(const unsigned char* row, int b, float* v) {
        const unsigned char* p = row + (size_t)(b >> 3) * SUPER_BYTES;
        int c = b & 7, shift = 2 * (c & 3);
        float d = tdm_half(tdm_u16(p + 80)), dmin = tdm_half(tdm_u16(p + 82));
        const unsigned char* q = p + 16 + 32 * (c >> 2);
#pragma unroll
        for (int h = 0; h < 2; h++) {
            int sc = p[2 * c + h];
            float dl = d * (float)(sc & 0xF), ml = dmin * (float)(sc >> 4);
#pragma unroll
            for (int i = 16 * h; i < 16 * h + 16; i++) v[i] = __fmul_rn(dl, (float)((q[i] >> shift) & 3)) - ml;
        }
    }
};

// Q3_K: 110-byte super-blocks of 32 bytes of third bits (bit c of byte i for value i of 32 values c), 64 bytes of
// two low bits (as Q2_K's), 12 bytes of 6-bit scales (one per 16 values, minus 32), d; value = d (s - 32) (q - 4).
struct WeightQ3_K {
    static constexpr int BLOCK = 32, SUPER = 256, SUPER_BYTES = 110;
    static __device__ __forceinline__ void decode(const unsigned char* row, int b, float* v) {
        const unsigned char* p = row + (size_t)(b >> 3) * SUPER_BYTES;
        int c = b & 7, shift = 2 * (c & 3);
        const unsigned char* q = p + 32 + 32 * (c >> 2);
        const unsigned char* sc = p + 96;
        float d = tdm_half(tdm_u16(p + 108));
#pragma unroll
        for (int h = 0; h < 2; h++) {
            int g = 2 * c + h;
            int s = (g < 8 ? sc[g] & 0xF : sc[g - 8] >> 4) | (((sc[8 + (g & 3)] >> (2 * (g >> 2))) & 3) << 4);
            float dl = d * (float)(s - 32);
#pragma unroll
            for (int i = 16 * h; i < 16 * h + 16; i++) {
                int l = ((q[i] >> shift) & 3) - ((p[i] >> c) & 1 ? 0 : 4);
                v[i] = dl * (float)l;
            }
        }
    }
};

// Q4_K and Q5_K share 12 bytes of 6-bit scales and mins: GGML's get_scale_min_k4 for group j (0..7).
static __device__ __forceinline__ void tdm_scale_min_k4(int j, const unsigned char* q, int* sc, int* m) {
    if (j < 4) {
        *sc = q[j] & 63;
        *m = q[j + 4] & 63;
    } else {
        *sc = (q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4);
        *m = (q[j + 4] >> 4) | ((q[j] >> 6) << 4);
    }
}

// Group g's scale d sc_g and min dmin m_g of the Q4_K or Q5_K super-block at p (d, dmin, then the 12 scale bytes).
static __device__ __forceinline__ void tdm_group_k4(const unsigned char* p, int g, float* d1, float* m1) {
    int sc, m;
    tdm_scale_min_k4(g, p + 4, &sc, &m);
    *d1 = tdm_half(tdm_u16(p)) * (float)sc;
    *m1 = tdm_half(tdm_u16(p + 2)) * (float)m;
}

// Q4_K: 144-byte super-blocks (d, dmin, 12 scale bytes, 128 bytes of nibbles); 32-value group g is the low
// (even g) or high (odd g) nibbles of bytes 32 (g / 2).. of the nibbles; value = d sc_g q - dmin m_g.
// Q5_K: the same with 32 bytes of fifth bits (bit g of byte i for value i of group g) before the nibbles.
template <bool FIFTH_BITS>
struct WeightK4 {
    static constexpr int BLOCK = 32, SUPER = 256, SUPER_BYTES = FIFTH_BITS ? 176 : 144;
    static __device__ __forceinline__ void decode(const unsigned char* row, int b, float* v) {
        const unsigned char* p = row + (size_t)(b >> 3) * SUPER_BYTES;
        int g = b & 7;
        float d1, m1;
        tdm_group_k4(p, g, &d1, &m1);
        const unsigned char* qh = p + 16;
        const unsigned char* q = p + (FIFTH_BITS ? 48 : 16) + 32 * (g >> 1);
        int shift = 4 * (g & 1);
#pragma unroll
        for (int i = 0; i < 32; i++) {
            int l = ((q[i] >> shift) & 0xF) + (FIFTH_BITS ? ((qh[i] >> g) & 1) << 4 : 0);
            v[i] = __fmul_rn(d1, (float)l) - m1;
        }
    }
};
using WeightQ4_K = WeightK4<false>;
using WeightQ5_K = WeightK4<true>;

// Q6_K: 210-byte super-blocks of 128 bytes of low nibbles (ql), 64 of high bit pairs (qh), 16 int8 scales
// and d; per 128-value half n, 32-value quarter k takes the low (k < 2) or high nibbles of ql[64 n + 32 (k % 2)..]
// and bits 2k, 2k + 1 of qh[32 n..]; value = d scale q with q - 32 in -32..31, one scale per 16 values.
struct WeightQ6_K {
    static constexpr int BLOCK = 32, SUPER = 256, SUPER_BYTES = 210;
    static __device__ __forceinline__ void decode(const unsigned char* row, int b, float* v) {
        const unsigned char* p = row + (size_t)(b >> 3) * SUPER_BYTES;
        int n = (b & 7) >> 2, k = b & 3;
        const unsigned char* ql = p + 64 * n + 32 * (k & 1);
        const unsigned char* qh = p + 128 + 32 * n;
        const signed char* sc = reinterpret_cast<const signed char*>(p + 192 + 8 * n + 2 * k);
        float d = tdm_half(tdm_u16(p + 208));
        int shift = 4 * (k >> 1);
#pragma unroll
        for (int i = 0; i < 32; i++) {
            int q = (((ql[i] >> shift) & 0xF) | (((qh[i] >> (2 * k)) & 3) << 4)) - 32;
            v[i] = d * (float)sc[i / 16] * (float)q;
        }
    }
};

// Bytes of one weight row of n values.
template <typename W>
static __device__ __forceinline__ size_t tdm_row_bytes(int n) {
    return (size_t)(n / W::SUPER) * W::SUPER_BYTES;
}

struct TdmSum {
    static __device__ __forceinline__ float apply(float a, float b) { return a + b; }
};
struct TdmMax {
    static __device__ __forceinline__ float apply(float a, float b) { return fmaxf(a, b); }
};

template <typename Op>
static __device__ __forceinline__ float tdm_warp_reduce(float v) {
#pragma unroll
    for (int o = TDM_WARP / 2; o > 0; o >>= 1) v = Op::apply(v, __shfl_xor_sync(0xffffffffu, v, o));
    return v;
}

// Block-wide reduction for blocks of whole warps (at most 32 of them); every thread gets the result, the
// warps' partial results combined in the same order in every thread. scratch holds 32 floats of shared
// memory; the trailing barrier lets the caller reuse it at once.
template <typename Op>
static __device__ __forceinline__ float tdm_block_reduce(float v, float* scratch) {
    int lane = threadIdx.x % TDM_WARP, warp = threadIdx.x / TDM_WARP, warps = blockDim.x / TDM_WARP;
    v = tdm_warp_reduce<Op>(v);
    if (lane == 0) scratch[warp] = v;
    __syncthreads();
    float r = scratch[0];
    for (int w = 1; w < warps; w++) r = Op::apply(r, scratch[w]);
    __syncthreads();
    return r;
}

static __device__ __forceinline__ float tdm_warp_sum(float v) { return tdm_warp_reduce<TdmSum>(v); }
static __device__ __forceinline__ float tdm_block_sum(float v, float* scratch) { return tdm_block_reduce<TdmSum>(v, scratch); }
static __device__ __forceinline__ float tdm_block_max(float v, float* scratch) { return tdm_block_reduce<TdmMax>(v, scratch); }
