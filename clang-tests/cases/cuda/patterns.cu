// Common kernel shapes: a grid-stride loop (the index is a loop variable, so
// adjoints are accumulated atomically), a tiled all-pairs sum staging tiles of
// x in __shared__ memory with a barrier before and after each tile (the
// reverse sweep accumulates into the shadow tile and mirrors both barriers in
// every reversed iteration), and a block reduction by warp shuffles whose
// per-warp sums meet in __shared__ memory.
// RUN: cuda
// PTX: tiled_grad has>=4 bar.sync
// GPU: rev stride d 2048 2048 2 128
// GPU: rev tiled d 512 512 4 128
// GPU: rev warps f 4096 1 8 256
#include <ferment_cuda.h>
extern __device__ int enzyme_dup, enzyme_const;
__device__ void __enzyme_autodiff(void *, ...);
extern "C" __device__ double __nv_tanh(double);

__device__ void stride(const double *x, double *y, int n) {
  for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += blockDim.x * gridDim.x)
    y[i] = __nv_tanh(x[i]) * x[i];
}
extern "C" __global__ void stride_f(const double *x, double *y, int n) { stride(x, y, n); }
extern "C" __global__ void stride_grad(const double *x, double *dx, double *y, double *dy, int n) {
  __enzyme_autodiff((void *)stride, x, dx, y, dy, enzyme_const, n);
}

#define TILE 128
// y[i] = sum_j x[i] * x[j] / (1 + (x[i] - x[j])^2), tile by tile (n a multiple of TILE,
// blockDim.x == TILE).
__device__ void tiled(const double *x, double *y, int n) {
  __shared__ double tile[TILE];
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  double xi = x[i], acc = 0.0;
  for (int start = 0; start < n; start += TILE) {
    tile[threadIdx.x] = x[start + threadIdx.x];
    __syncthreads();
    for (int k = 0; k < TILE; k++) {
      double d = xi - tile[k];
      acc += xi * tile[k] / (1.0 + d * d);
    }
    __syncthreads();
  }
  y[i] = acc;
}
extern "C" __global__ void tiled_f(const double *x, double *y, int n) { tiled(x, y, n); }
extern "C" __global__ void tiled_grad(const double *x, double *dx, double *y, double *dy, int n) {
  __enzyme_autodiff((void *)tiled, x, dx, y, dy, enzyme_const, n);
}

// sum of x^2 * (1 + x): warp sums by shuffles, then warp 0 sums the warps' results.
__device__ void warps(const float *x, float *out, int n) {
  __shared__ float partial[32];
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  float v = i < n ? x[i] * x[i] * (1.0f + x[i]) : 0.0f;
  for (int k = 16; k > 0; k >>= 1)
    v += __shfl_down_sync(0xffffffffu, v, k);
  if (lane == 0)
    partial[warp] = v;
  __syncthreads();
  if (warp == 0) {
    v = lane < (int)(blockDim.x >> 5) ? partial[lane] : 0.0f;
    for (int k = 16; k > 0; k >>= 1)
      v += __shfl_down_sync(0xffffffffu, v, k);
    if (lane == 0)
      atomicAdd(out, v);
  }
}
extern "C" __global__ void warps_f(const float *x, float *o, int n) { warps(x, o, n); }
extern "C" __global__ void warps_grad(const float *x, float *dx, float *o, float *d_o, int n) {
  __enzyme_autodiff((void *)warps, x, dx, o, d_o, enzyme_const, n);
}
