// Host emulation of the CUDA execution model, so the kernels in src/main/cuda run unchanged on a CPU.
//
// Every .cu file is compiled by g++ with this header forced in front (-include). A launch walks the grid
// one block at a time; the threads of a block are cooperative fibers on one OS thread, so a thread runs
// until it reaches a barrier (__syncthreads, a warp shuffle, __syncwarp) and the next one takes over.
// That gives CUDA's block semantics exactly: shared memory is shared by the block, a barrier waits for
// every live thread of its block or warp, and a barrier some threads never reach is reported as a
// deadlock instead of hanging. Warps do not run in lock-step; kernels must not rely on implicit warp
// synchronisation (they must not on Volta and later either).
#pragma once
#include <cmath>
#include <cstdint>
#include <cstring>
#include <algorithm>

#define TDM_EMULATION 1
#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __restrict__ __restrict
#define __launch_bounds__(...)
// One OS thread runs a launch (launches are serialised), so a function-static array is the block's
// shared memory: blocks run one after another and CUDA promises nothing about its initial contents.
#define __shared__ static
#define __align__(n) alignas(n)

struct dim3 {
    unsigned x, y, z;
};

namespace tdm_emu {
struct Thread;
extern thread_local Thread* current;
const dim3& thread_idx();
const dim3& block_idx();
const dim3& block_dim();
const dim3& grid_dim();
void sync_threads();
void sync_warp();
uint64_t exchange(uint64_t bits, int src_lane_xor, int src_lane, bool use_xor);
void* dynamic_shared();
}  // namespace tdm_emu

#define threadIdx (tdm_emu::thread_idx())
#define blockIdx (tdm_emu::block_idx())
#define blockDim (tdm_emu::block_dim())
#define gridDim (tdm_emu::grid_dim())

inline void __syncthreads() { tdm_emu::sync_threads(); }
inline void __syncwarp(unsigned = 0xffffffffu) { tdm_emu::sync_warp(); }

template <typename T>
inline uint64_t tdm_emu_bits(T v) {
    static_assert(sizeof(T) <= 8, "shuffles move at most 8 bytes");
    uint64_t b = 0;
    std::memcpy(&b, &v, sizeof(T));
    return b;
}
template <typename T>
inline T tdm_emu_from_bits(uint64_t b) {
    T v;
    std::memcpy(&v, &b, sizeof(T));
    return v;
}
template <typename T>
inline T __shfl_xor_sync(unsigned, T v, int lane_mask, int = 32) {
    return tdm_emu_from_bits<T>(tdm_emu::exchange(tdm_emu_bits(v), lane_mask, 0, true));
}
template <typename T>
inline T __shfl_sync(unsigned, T v, int src_lane, int = 32) {
    return tdm_emu_from_bits<T>(tdm_emu::exchange(tdm_emu_bits(v), 0, src_lane, false));
}

// Atomics: threads are fibers of one OS thread and never preempted, so a plain read-modify-write is atomic.
template <typename T>
inline T atomicAdd(T* p, T v) {
    T old = *p;
    *p = old + v;
    return old;
}
inline int atomicMax(int* p, int v) {
    int old = *p;
    *p = std::max(old, v);
    return old;
}

inline float rsqrtf(float x) { return 1.0f / std::sqrt(x); }
inline float __expf(float x) { return std::exp(x); }
inline float __fdividef(float a, float b) { return a / b; }
inline float __fmul_rn(float a, float b) { return a * b; }  // a product that is never fused into an FMA (C++ here does not fuse)
inline float __int_as_float(int i) { return tdm_emu_from_bits<float>((uint64_t)(uint32_t)i); }
inline unsigned __float_as_uint(float f) { return (unsigned)tdm_emu_bits(f); }
inline float __uint_as_float(unsigned u) { return tdm_emu_from_bits<float>(u); }
using std::max;
using std::min;
