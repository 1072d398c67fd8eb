/* ferment_cuda.h: the few CUDA device-side names a kernel needs, for building
 * CUDA device code with clang and no CUDA toolkit installed:
 *
 *   clang-22 -x cuda --cuda-gpu-arch=sm_80 -nocudainc -nocudalib --cuda-device-only \
 *     -O2 -fpass-plugin=libferment.so -S kernels.cu -o kernels.ptx
 *
 * With a CUDA toolkit, include the usual CUDA headers instead (clang's CUDA
 * mode includes them by itself without -nocudainc); ferment sees the same IR.
 *
 * Provides __global__/__device__/__shared__, threadIdx/blockIdx/blockDim/
 * gridDim (clang's own builtin variables), __syncthreads() (a clang builtin),
 * atomicAdd on float and double, and the float warp shuffles
 * __shfl_sync/__shfl_down_sync/__shfl_up_sync/__shfl_xor_sync. */
#ifndef FERMENT_CUDA_H
#define FERMENT_CUDA_H

#if !defined(__CUDA__) || !defined(__CUDA_ARCH__)
#error "ferment_cuda.h is for CUDA device compiles (clang -x cuda --cuda-device-only)"
#endif

#ifndef __global__
#define __global__ __attribute__((global))
#define __device__ __attribute__((device))
#define __shared__ __attribute__((shared))
#define __host__ __attribute__((host))
#endif

#include "__clang_cuda_builtin_vars.h"

static __device__ inline float atomicAdd(float *p, float v) { return __nvvm_atom_add_gen_f(p, v); }
static __device__ inline double atomicAdd(double *p, double v) { return __nvvm_atom_add_gen_d(p, v); }

/* c operand of shfl.sync: segment mask (32 - width) << 8, clamp lane in the low bits. */
static __device__ inline float __shfl_sync(unsigned mask, float v, int src_lane, int width = 32) {
  return __nvvm_shfl_sync_idx_f32(mask, v, src_lane, ((32 - width) << 8) | 0x1f);
}
static __device__ inline float __shfl_down_sync(unsigned mask, float v, unsigned delta, int width = 32) {
  return __nvvm_shfl_sync_down_f32(mask, v, delta, ((32 - width) << 8) | 0x1f);
}
static __device__ inline float __shfl_up_sync(unsigned mask, float v, unsigned delta, int width = 32) {
  return __nvvm_shfl_sync_up_f32(mask, v, delta, (32 - width) << 8);
}
static __device__ inline float __shfl_xor_sync(unsigned mask, float v, int lane_mask, int width = 32) {
  return __nvvm_shfl_sync_bfly_f32(mask, v, lane_mask, ((32 - width) << 8) | 0x1f);
}

#endif
