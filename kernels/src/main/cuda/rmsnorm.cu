// RMSNorm over rows: out[r] = x[r] / sqrt(mean(x[r]^2) + eps) * weight.
// One block per row; the block reduces the sum of squares in shared memory. The reduction order is fixed
// by the block size alone, so a row's result does not depend on how many rows the launch covers.
extern "C" __global__ void rmsnorm_f32(float* __restrict__ out, const float* __restrict__ x,
                                       const float* __restrict__ weight, int cols, float eps) {
    extern __shared__ float partial[];
    const float* row = x + (size_t)blockIdx.x * cols;
    float* dst = out + (size_t)blockIdx.x * cols;
    float ss = 0.f;
    for (int i = threadIdx.x; i < cols; i += blockDim.x) {
        ss = fmaf(row[i], row[i], ss);
    }
    partial[threadIdx.x] = ss;
    __syncthreads();
    for (int s = blockDim.x / 2; s > 0; s >>= 1) {
        if (threadIdx.x < s) partial[threadIdx.x] += partial[threadIdx.x + s];
        __syncthreads();
    }
    float inv = rsqrtf(partial[0] / cols + eps);
    for (int i = threadIdx.x; i < cols; i += blockDim.x) {
        dst[i] = weight[i] * (inv * row[i]);
    }
}
