// A memory fence orders communication between blocks (the "last block"
// reduction pattern); the reverse sweep cannot mirror it: a clear error.
// RUN: cuda
// EXPECT-ERROR: memory fence
// EXPECT-ERROR: error_fence.cu:14
#include <ferment_cuda.h>
extern __device__ int enzyme_dup, enzyme_const;
__device__ void __enzyme_autodiff(void *, ...);

__device__ void f(const double *x, double *y, int *count) {
  int i = threadIdx.x + blockIdx.x * blockDim.x;
  y[i] = x[i] * x[i];
  if (threadIdx.x == 0) {
    __nvvm_membar_gl();
    atomicAdd((float *)count, 1.0f);
  }
}
extern "C" __global__ void grad(const double *x, double *dx, double *y, double *dy, int *c) {
  __enzyme_autodiff((void *)f, x, dx, y, dy, enzyme_const, c);
}
