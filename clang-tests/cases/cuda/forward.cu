// Forward mode inside a kernel: the tangent of a warp shuffle is the same
// shuffle of the tangent, and an atomicAdd adds the tangent to the shadow.
// RUN: cuda
// PTX: fwd_grad has shfl.sync.down
// GPU: fwd fwd f 4096 1 16 256
#include <ferment_cuda.h>
extern __device__ int enzyme_dup, enzyme_const;
__device__ void __enzyme_fwddiff(void *, ...);

__device__ void fwd(const float *x, float *out, int n) {
  int i = threadIdx.x + blockIdx.x * blockDim.x;
  float v = i < n ? x[i] * x[i] : 0.0f;
  for (int k = 16; k > 0; k >>= 1)
    v += __shfl_down_sync(0xffffffffu, v, k);
  if ((threadIdx.x & 31) == 0)
    atomicAdd(out, v);
}
extern "C" __global__ void fwd_f(const float *x, float *o, int n) { fwd(x, o, n); }
extern "C" __global__ void fwd_grad(const float *x, float *dx, float *o, float *d_o, int n) {
  __enzyme_fwddiff((void *)fwd, x, dx, o, d_o, enzyme_const, n);
}
