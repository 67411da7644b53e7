// Row-wise and element-wise ops of the Llama block. Each kernel states its launch; "grid-stride" kernels
// take any grid and block.
#include "common.cuh"

// out[r] = table[tokens[r]], decoded to F32. Launch: grid (rows), any block. Token ids are checked on the host.
template <typename W>
static __device__ __forceinline__ void embed(float* __restrict__ out, const unsigned char* __restrict__ table,
                                             const int* __restrict__ tokens, int dim) {
    int blocks = dim / W::BLOCK;
    const unsigned char* row = table + (size_t)tokens[blockIdx.x] * tdm_row_bytes<W>(dim);
    float* dst = out + (size_t)blockIdx.x * dim;
    for (int b = threadIdx.x; b < blocks; b += blockDim.x) {
        float v[W::BLOCK];
        W::decode(row, b, v);
        for (int i = 0; i < W::BLOCK; i++) dst[b * W::BLOCK + i] = v[i];
    }
}
// One kernel per weight type, named embedding_<type> (launched by name; the emulation registers each line).
#define TDM_EMBEDDING(type, W)                                                                                   \
    extern "C" __global__ void embedding_##type(float* out, const unsigned char* table, const int* tokens, int dim) { \
        embed<W>(out, table, tokens, dim);                                                                       \
    }
TDM_EMBEDDING(f32, WeightF32)
TDM_EMBEDDING(f16, WeightF16)
TDM_EMBEDDING(bf16, WeightBF16)
TDM_EMBEDDING(q8_0, WeightQ8_0)
TDM_EMBEDDING(q4_0, WeightQ4_0)
TDM_EMBEDDING(q4_1, WeightQ4_1)
TDM_EMBEDDING(q5_0, WeightQ5_0)
TDM_EMBEDDING(q5_1, WeightQ5_1)
TDM_EMBEDDING(iq4_nl, WeightIQ4_NL)
TDM_EMBEDDING(q2_k, WeightQ2_K)
TDM_EMBEDDING(q3_k, WeightQ3_K)
TDM_EMBEDDING(q4_k, WeightQ4_K)
TDM_EMBEDDING(q5_k, WeightQ5_K)
TDM_EMBEDDING(q6_k, WeightQ6_K)

// Rotary embedding of the first cols values of each row (stride apart) at positions[r], head by head.
// cosTable/sinTable hold [position][headSize / 2]. Pairs are (2i, 2i+1) within the row, or, when halfSplit,
// (i, i + headSize/2) within each head. Launch: grid (rows), any block.
extern "C" __global__ void rope_f32(float* x, int stride, int cols, const int* __restrict__ positions,
                                    const float* __restrict__ cosTable, const float* __restrict__ sinTable,
                                    int headSize, int halfSplit) {
    int half = headSize / 2;
    float* row = x + (size_t)blockIdx.x * stride;
    const float* c = cosTable + (size_t)positions[blockIdx.x] * half;
    const float* s = sinTable + (size_t)positions[blockIdx.x] * half;
    for (int p = threadIdx.x; p < cols / 2; p += blockDim.x) {
        int a0, a1, pair;
        if (halfSplit) {
            pair = p % half;
            a0 = (p / half) * headSize + pair;
            a1 = a0 + half;
        } else {
            a0 = 2 * p;
            a1 = a0 + 1;
            pair = (a0 % headSize) / 2;
        }
        float v0 = row[a0], v1 = row[a1];
        row[a0] = v0 * c[pair] - v1 * s[pair];
        row[a1] = v0 * s[pair] + v1 * c[pair];
    }
}

// gate[i] = silu(gate[i]) * up[i] for i < n. Grid-stride.
extern "C" __global__ void swiglu_f32(float* gate, const float* __restrict__ up, int n) {
    for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += gridDim.x * blockDim.x) {
        float v = gate[i];
        gate[i] = v / (1.f + expf(-v)) * up[i];
    }
}

// x[i] += y[i] for i < n. Grid-stride.
extern "C" __global__ void add_f32(float* x, const float* __restrict__ y, int n) {
    for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += gridDim.x * blockDim.x) x[i] += y[i];
}

// x[r][c] += bias[c] for r < rows, c < cols. Grid-stride over rows * cols.
extern "C" __global__ void add_bias_f32(float* x, const float* __restrict__ bias, int rows, int cols) {
    int n = rows * cols;
    for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += gridDim.x * blockDim.x) x[i] += bias[i % cols];
}

// In-place softmax of each row's first cols values (rows stride apart). Launch: grid (rows), block of whole warps.
extern "C" __global__ void softmax_f32(float* x, int stride, int cols) {
    __shared__ float scratch[32];
    float* row = x + (size_t)blockIdx.x * stride;
    float m = -INFINITY;
    for (int i = threadIdx.x; i < cols; i += blockDim.x) m = fmaxf(m, row[i]);
    m = tdm_block_max(m, scratch);
    float sum = 0.f;
    for (int i = threadIdx.x; i < cols; i += blockDim.x) {
        float e = expf(row[i] - m);
        row[i] = e;
        sum += e;
    }
    float inv = 1.f / tdm_block_sum(sum, scratch);
    for (int i = threadIdx.x; i < cols; i += blockDim.x) row[i] *= inv;
}

// out[r] = index of the largest of row r's cols values, the first one on ties, so that the tree verifier
// reads one int per row instead of the logits. Launch: grid (rows), block of 32 threads (one warp).
extern "C" __global__ void argmax_f32(const float* __restrict__ x, int stride, int cols, int* out) {
    const float* row = x + (size_t)blockIdx.x * stride;
    float best = -INFINITY;
    int at = 0x7fffffff;
    for (int i = threadIdx.x; i < cols; i += blockDim.x) {
        if (row[i] > best || at == 0x7fffffff) {
            best = row[i];
            at = i;
        }
    }
    for (int o = TDM_WARP / 2; o > 0; o >>= 1) {
        float ob = __shfl_xor_sync(0xffffffffu, best, o);
        int oa = __shfl_xor_sync(0xffffffffu, at, o);
        if (ob > best || (ob == best && oa < at)) {
            best = ob;
            at = oa;
        }
    }
    if (threadIdx.x == 0) out[blockIdx.x] = at;
}

// A pass's keys and values ([row][kvDim]) written to cache slots firstSlot[0] + row. The slot is read from
// device memory, so a decode step's launch is the same at every position (one CUDA graph, relaunched).
// Launch: grid (rows), any block.
extern "C" __global__ void kv_store_f32(float* keys, float* values, const float* __restrict__ k,
                                        const float* __restrict__ v, const int* __restrict__ firstSlot, int kvDim) {
    size_t dst = (size_t)(firstSlot[0] + blockIdx.x) * kvDim, src = (size_t)blockIdx.x * kvDim;
    for (int i = threadIdx.x; i < kvDim; i += blockDim.x) {
        keys[dst + i] = k[src + i];
        values[dst + i] = v[src + i];
    }
}

// The device side of KvCache.commit: for each move m, cache slot from[m] is copied to slot to[m] in the key
// and value caches ([slot][kvDim] each). Moves go to lower slots in increasing order, so a slot is read
// before it is overwritten only if every move's source is at or above its destination; the host passes
// them in that order. Launch: grid (1), any block; moves run one after another.
extern "C" __global__ void kv_compact_f32(float* keys, float* values, const int* __restrict__ from,
                                          const int* __restrict__ to, int moves, int kvDim) {
    for (int m = 0; m < moves; m++) {
        size_t src = (size_t)from[m] * kvDim, dst = (size_t)to[m] * kvDim;
        for (int i = threadIdx.x; i < kvDim; i += blockDim.x) {
            keys[dst + i] = keys[src + i];
            values[dst + i] = values[src + i];
        }
        __syncthreads();
    }
}
