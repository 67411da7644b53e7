// out[r][j] = dot(w[j], x[r]) for r < rows, j < d: weights in GGML layout (one row of n values per output),
// activations and output F32, F32 accumulation.
// Launch: grid (ceil(d / MATMUL_WARPS) * ceil(rows / MATMUL_TILE)), block (32 * MATMUL_WARPS).
// Each warp owns one output column j and up to MATMUL_TILE activation rows: a lane decodes each weight
// block it owns once and uses it for every row of the tile, so k rows read the weights once per tile
// (k <= 8: once), which is what makes verifying a draft tree cost little more than one row. Block b takes
// row tile b % tiles of column group b / tiles: the tiles of the same weights are neighbours in launch
// order, so they run together and the second to eighth read those weights from L2, not from DRAM (with the
// tiles in a second grid dimension, each tile would stream the whole matrix again).
#include "common.cuh"

#define MATMUL_WARPS 4
#define MATMUL_TILE 8

template <typename W>
static __device__ __forceinline__ void matmul_rows(float* __restrict__ out, const float* __restrict__ x,
                                                   const unsigned char* __restrict__ w, int rows, int n, int d) {
    int lane = threadIdx.x % TDM_WARP;
    int tiles = (rows + MATMUL_TILE - 1) / MATMUL_TILE;
    int j = (blockIdx.x / tiles) * MATMUL_WARPS + threadIdx.x / TDM_WARP;
    int r0 = (blockIdx.x % tiles) * MATMUL_TILE;
    int tile = min(MATMUL_TILE, rows - r0);
    if (j >= d) return;  // the whole warp leaves together: no barrier waits for it
    int blocks = n / W::BLOCK;
    const unsigned char* row = w + (size_t)j * tdm_row_bytes<W>(n);
    const float* xt = x + (size_t)r0 * n;
    float acc[MATMUL_TILE];
#pragma unroll
    for (int r = 0; r < MATMUL_TILE; r++) acc[r] = 0.f;
    for (int b = lane; b < blocks; b += TDM_WARP) {
        float v[W::BLOCK];
        W::decode(row, b, v);
#pragma unroll
        for (int r = 0; r < MATMUL_TILE; r++) {
            if (r < tile) {
                const float* xr = xt + (size_t)r * n + (size_t)b * W::BLOCK;
                float s = 0.f;
#pragma unroll
                for (int i = 0; i < W::BLOCK; i++) s = fmaf(v[i], xr[i], s);
                acc[r] += s;
            }
        }
    }
#pragma unroll
    for (int r = 0; r < MATMUL_TILE; r++) {
        if (r < tile) {
            float s = tdm_warp_sum(acc[r]);
            if (lane == 0) out[(size_t)(r0 + r) * d + j] = s;
        }
    }
}

// One kernel per weight type, named matmul_<type> (the backend launches them by name; the CPU emulation's build
// registers each TDM_MATMUL line).
#define TDM_MATMUL(type, W)                                                                                  \
    extern "C" __global__ void matmul_##type(float* out, const float* x, const unsigned char* w, int rows, int n, \
                                             int d) {                                                          \
        matmul_rows<W>(out, x, w, rows, n, d);                                                                 \
    }
TDM_MATMUL(f32, WeightF32)
TDM_MATMUL(f16, WeightF16)
TDM_MATMUL(bf16, WeightBF16)
TDM_MATMUL(q8_0, WeightQ8_0)
TDM_MATMUL(q4_0, WeightQ4_0)
TDM_MATMUL(q4_1, WeightQ4_1)
TDM_MATMUL(q5_0, WeightQ5_0)
TDM_MATMUL(q5_1, WeightQ5_1)
TDM_MATMUL(iq4_nl, WeightIQ4_NL)
TDM_MATMUL(q2_k, WeightQ2_K)
TDM_MATMUL(q3_k, WeightQ3_K)
TDM_MATMUL(q4_k, WeightQ4_K)
TDM_MATMUL(q5_k, WeightQ5_K)
TDM_MATMUL(q6_k, WeightQ6_K)
