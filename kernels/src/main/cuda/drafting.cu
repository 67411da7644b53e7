// Drafting and verification on the device, so a step sends back a few ints instead of logits.
#include "common.cuh"

// Decoding heads' residual blocks: z[head] = h + SiLU(W_head x + b_head) with x = [x0; x1; x2] cut at
// multiples of dim (in = dim for Medusa: x = h; in = 3 dim for Cerberus: [h; z of the previous head;
// embedding of its token]). W is [heads][dim][in] row-major, b and z are [heads][dim].
// Launch: grid (ceil(dim / 4), heads in this launch), block (128): one warp per output value; head
// firstHead + blockIdx.y. Medusa's heads are independent, so all of them go in one launch; Cerberus'
// read the previous head's output, one launch each.
extern "C" __global__ void heads_block_f32(float* __restrict__ z, const float* __restrict__ h, const float* __restrict__ x0,
                                           const float* __restrict__ x1, const float* __restrict__ x2,
                                           const float* __restrict__ w, const float* __restrict__ b, int dim, int in,
                                           int firstHead) {
    int lane = threadIdx.x % TDM_WARP;
    int r = blockIdx.x * (blockDim.x / TDM_WARP) + threadIdx.x / TDM_WARP;
    int head = firstHead + blockIdx.y;
    if (r >= dim) return;
    const float* wr = w + ((size_t)head * dim + r) * in;
    float s = 0.f;
    for (int i = lane; i < in; i += TDM_WARP) {
        float xv = i < dim ? x0[i] : i < 2 * dim ? x1[i - dim] : x2[i - 2 * dim];
        s = fmaf(wr[i], xv, s);
    }
    s = tdm_warp_sum(s);
    if (lane == 0) {
        float u = s + b[(size_t)head * dim + r];
        z[(size_t)head * dim + r] = h[r] + u / (1.f + expf(-u));
    }
}

// The k largest values of each row (larger value first, lower index first on ties), as indices and
// values, and the row's log-sum-exp in lse[row] when lse is not null (so the host turns a value v into
// its softmax probability exp(v - lse) without the row). Launch: grid (rows), block (32): one warp per
// row, k passes of a warp-wide argmax over the values not chosen yet; k <= 64.
extern "C" __global__ void topk_f32(const float* __restrict__ x, int stride, int cols, int k, int* idx, float* val,
                                    float* lse) {
    __shared__ int chosen[64];
    const float* row = x + (size_t)blockIdx.x * stride;
    if (lse != nullptr) {
        float m = -INFINITY;
        for (int i = threadIdx.x; i < cols; i += blockDim.x) m = fmaxf(m, row[i]);
        m = tdm_warp_reduce<TdmMax>(m);
        float sum = 0.f;
        for (int i = threadIdx.x; i < cols; i += blockDim.x) sum += expf(row[i] - m);
        sum = tdm_warp_sum(sum);
        if (threadIdx.x == 0) lse[blockIdx.x] = m + logf(sum);
    }
    for (int j = 0; j < k; j++) {
        float best = -INFINITY;
        int at = 0x7fffffff;
        for (int i = threadIdx.x; i < cols; i += blockDim.x) {
            bool taken = false;
            for (int c = 0; c < j; c++) taken |= chosen[c] == i;
            if (!taken && (row[i] > best || at == 0x7fffffff)) {
                best = row[i];
                at = i;
            }
        }
        for (int o = TDM_WARP / 2; o > 0; o >>= 1) {
            float ob = __shfl_xor_sync(0xffffffffu, best, o);
            int oa = __shfl_xor_sync(0xffffffffu, at, o);
            if (oa != 0x7fffffff && (at == 0x7fffffff || ob > best || (ob == best && oa < at))) {
                best = ob;
                at = oa;
            }
        }
        if (threadIdx.x == 0) {
            chosen[j] = at;
            idx[(size_t)blockIdx.x * k + j] = at;
            val[(size_t)blockIdx.x * k + j] = best;
        }
        __syncwarp();
    }
}

// Greedy tree acceptance (temperature 0): from the root row 0, descend into the first child (lowest row)
// whose token is the argmax of its parent's logits, while there is one. Writes out[0] = L, the accepted
// draft rows out[1..L] root-first, and out[L + 1] = the argmax after the last accepted row (the token the
// step adds). argmax[r] is row r's argmax (argmax_f32), tokens[r] the token row r carries, parents[r] its
// parent row (-1 for the root). Launch: grid (1), block (1); n is a tree's size, at most 64.
extern "C" __global__ void accept_greedy(const int* __restrict__ argmax, const int* __restrict__ tokens,
                                         const int* __restrict__ parents, int n, int* out) {
    int node = 0, accepted = 0;
    for (bool descended = true; descended;) {
        descended = false;
        for (int c = node + 1; c < n; c++) {
            if (parents[c] == node && tokens[c] == argmax[node]) {
                out[1 + accepted++] = c;
                node = c;
                descended = true;
                break;
            }
        }
    }
    out[0] = accepted;
    out[1 + accepted] = argmax[node];
}
