// Barrier forms other than __syncthreads(): a reducing barrier
// (__syncthreads_count, mirrored as a plain barrier), a named barrier
// (bar.sync 1) and __syncwarp are all repeated in the reverse sweep.
// RUN: cuda
// PTX: grad has>=2 barrier.sync
// PTX: grad has>=2 bar.warp.sync
// PTX: grad has>=3 bar.sync
#include <ferment_cuda.h>
extern __device__ int enzyme_dup, enzyme_const;
__device__ void __enzyme_autodiff(void *, ...);

__device__ void f(const float *x, float *y, int *count) {
  __shared__ float s[256];
  int t = threadIdx.x;
  s[t] = x[t] * x[t];
  int c = __nvvm_bar0_popc(s[t] > 1.0f);
  float v = s[(t + 1) % 256];
  __nvvm_barrier_sync(1);
  s[t] = v * x[t];
  __nvvm_bar_warp_sync(0xffffffffu);
  y[t] = s[t ^ 1] + (float)c;
  if (t == 0)
    *count = c;
}
extern "C" __global__ void grad(const float *x, float *dx, float *y, float *dy, int *c) {
  __enzyme_autodiff((void *)f, x, dx, y, dy, enzyme_const, c);
}
