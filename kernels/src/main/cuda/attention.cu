// Attention of a batch of new rows (a chain or a token tree) over the KV cache, with grouped-query heads.
// Row b attends to cache slots [0, cached) and then to its ancestors in the batch, root first and itself
// last, whose keys and values sit at slot cached + a: the mask the CPU backend uses, built here from the
// parent indices (parents[b] is -1 for a root or an earlier row). Online softmax over chunks of
// ATT_THREADS slots, so shared memory does not grow with the context.
// Caches are [slot][kvDim]; q and out are [row][heads * headSize]. The cached length is read from device
// memory (cachedAt[0]), so a decode step's launch is the same at every position: one CUDA graph, relaunched.
// Launch: grid (heads, rows), block (ATT_THREADS); headSize <= 2 * ATT_THREADS, rows <= ATT_MAX_ROWS.
#include "common.cuh"

#define ATT_THREADS 128
#define ATT_MAX_ROWS 1024

extern "C" __global__ void attention_tree_f32(float* __restrict__ out, const float* __restrict__ q,
                                              const float* __restrict__ keys, const float* __restrict__ values,
                                              const int* __restrict__ parents, const int* __restrict__ cachedAt, int heads, int kvHeads,
                                              int headSize) {
    __shared__ int path[ATT_MAX_ROWS];
    __shared__ int depth;
    __shared__ int slots[ATT_THREADS];
    __shared__ float weights[ATT_THREADS];
    __shared__ float scratch[32];
    int h = blockIdx.x, b = blockIdx.y, tid = threadIdx.x;
    int cached = cachedAt[0];
    int kvDim = kvHeads * headSize;
    int kvOffset = (h / (heads / kvHeads)) * headSize;
    const float* qh = q + (size_t)b * heads * headSize + (size_t)h * headSize;
    if (tid == 0) {
        int n = 0;
        for (int a = b; a >= 0; a = parents[a]) path[n++] = a;  // leaf to root
        for (int i = 0; i < n / 2; i++) {
            int t = path[i];
            path[i] = path[n - 1 - i];
            path[n - 1 - i] = t;
        }
        depth = n;
    }
    __syncthreads();
    int len = cached + depth;
    float scale = sqrtf((float)headSize);
    float m = -INFINITY, l = 0.f, acc0 = 0.f, acc1 = 0.f;
    for (int c0 = 0; c0 < len; c0 += ATT_THREADS) {
        int t = c0 + tid;
        float s = -INFINITY;
        if (t < len) {
            int slot = t < cached ? t : cached + path[t - cached];
            slots[tid] = slot;
            const float* k = keys + (size_t)slot * kvDim + kvOffset;
            float dot = 0.f;
            for (int i = 0; i < headSize; i++) dot = fmaf(k[i], qh[i], dot);
            s = dot / scale;
        }
        float mNew = fmaxf(m, tdm_block_max(s, scratch));
        float p = t < len ? expf(s - mNew) : 0.f;
        weights[tid] = p;
        float rescale = expf(m - mNew);  // 0 on the first chunk (m = -inf)
        l = l * rescale + tdm_block_sum(p, scratch);
        m = mNew;
        int chunk = min(ATT_THREADS, len - c0);
        if (tid < headSize) {
            acc0 *= rescale;
            for (int u = 0; u < chunk; u++) acc0 = fmaf(values[(size_t)slots[u] * kvDim + kvOffset + tid], weights[u], acc0);
        }
        if (tid + ATT_THREADS < headSize) {
            acc1 *= rescale;
            for (int u = 0; u < chunk; u++)
                acc1 = fmaf(values[(size_t)slots[u] * kvDim + kvOffset + tid + ATT_THREADS], weights[u], acc1);
        }
        __syncthreads();  // slots and weights are rewritten by the next chunk
    }
    float* o = out + (size_t)b * heads * headSize + (size_t)h * headSize;
    if (tid < headSize) o[tid] = acc0 / l;
    if (tid + ATT_THREADS < headSize) o[tid + ATT_THREADS] = acc1 / l;
}
