// RMSNorm over rows: out[r] = weight * (x[r] / sqrt(mean(x[r]^2) + eps)); out may be x.
// Launch: grid (rows), block of whole warps (up to 1024 threads). The reduction order depends on the
// block size alone, so a row's result does not depend on how many rows the launch covers.
#include "common.cuh"

extern "C" __global__ void rmsnorm_f32(float* out, const float* x, const float* __restrict__ weight, int cols,
                                       float eps) {
    __shared__ float scratch[32];
    const float* row = x + (size_t)blockIdx.x * cols;
    float* dst = out + (size_t)blockIdx.x * cols;
    float ss = 0.f;
    for (int i = threadIdx.x; i < cols; i += blockDim.x) ss = fmaf(row[i], row[i], ss);
    float inv = rsqrtf(tdm_block_sum(ss, scratch) / cols + eps);
    for (int i = threadIdx.x; i < cols; i += blockDim.x) dst[i] = weight[i] * (inv * row[i]);
}
