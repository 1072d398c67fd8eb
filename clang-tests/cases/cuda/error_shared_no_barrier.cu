// An active __shared__ array in a function without __syncthreads(): its
// shadow must be cleared by the whole block behind a barrier, which not
// every thread may reach. A clear error instead of a racy derivative.
// RUN: cuda
// EXPECT-ERROR: without __syncthreads()
#include <ferment_cuda.h>
extern __device__ int enzyme_dup, enzyme_const;
__device__ void __enzyme_autodiff(void *, ...);

__device__ void f(const float *x, float *y) {
  __shared__ float s[128];
  int t = threadIdx.x;
  s[t] = x[t] * x[t];
  y[t] = s[(t + 1) % 128] * 2.0f;
}
extern "C" __global__ void grad(const float *x, float *dx, float *y, float *dy) {
  __enzyme_autodiff((void *)f, x, dx, y, dy);
}
