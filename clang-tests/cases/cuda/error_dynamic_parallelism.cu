// A kernel launch from device code (dynamic parallelism, as clang lowers
// `k<<<...>>>` in device code) cannot be differentiated: a clear error.
// RUN: cuda
// EXPECT-ERROR: dynamic parallelism
// EXPECT-ERROR: cudaGetParameterBuffer
#include <ferment_cuda.h>
extern __device__ int enzyme_dup, enzyme_const;
__device__ void __enzyme_autodiff(void *, ...);
extern "C" __device__ void *cudaGetParameterBufferV2(void *, unsigned, unsigned, unsigned);
extern "C" __device__ int cudaLaunchDeviceV2(void *, void *);

__device__ void f(const double *x, double *y) {
  int i = threadIdx.x;
  y[i] = x[i] * x[i];
  if (i == 0)
    cudaLaunchDeviceV2(cudaGetParameterBufferV2((void *)f, 1, 1, 0), 0);
}
extern "C" __global__ void grad(const double *x, double *dx, double *y, double *dy) {
  __enzyme_autodiff((void *)f, x, dx, y, dy);
}
