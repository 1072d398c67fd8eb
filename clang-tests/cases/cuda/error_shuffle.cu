// A double shuffled as two 32-bit halves (what CUDA's headers do for
// __shfl_*_sync(double)) cannot be followed through the integer shuffles: a
// clear error, never a wrong derivative.
// RUN: cuda
// EXPECT-ERROR: the bits of the active value
// EXPECT-ERROR: error_shuffle.cu:15
#include <ferment_cuda.h>
extern __device__ int enzyme_dup, enzyme_const;
__device__ void __enzyme_autodiff(void *, ...);

__device__ void halves(const double *x, double *y) {
  int t = threadIdx.x;
  double v = x[t] * x[t];
  long long b = __builtin_bit_cast(long long, v);
  int lo = __nvvm_shfl_sync_down_i32(0xffffffffu, (int)b, 1, 0x1f);
  int hi = __nvvm_shfl_sync_down_i32(0xffffffffu, (int)(b >> 32), 1, 0x1f);
  y[t] = __builtin_bit_cast(double, ((long long)hi << 32) | (unsigned)lo);
}
extern "C" __global__ void grad_halves(const double *x, double *dx, double *y, double *dy) {
  __enzyme_autodiff((void *)halves, x, dx, y, dy);
}
