// Block-level energy reduction: squares staged in a __shared__ array, a tree
// reduction with __syncthreads(), and a float atomicAdd of each block's sum.
// The reverse sweep zeroes a __shared__ shadow (one barrier), mirrors every
// barrier (the primal has two, the gradient at least 2 + 1 + 2), and
// differentiates the atomicAdd; its loop tape stays in local memory.
// RUN: cuda
// PTX: reduce_f has>=2 bar.sync
// PTX: reduce_grad has>=5 bar.sync
// PTX: reduce_grad has .shared
// PTX: reduce_grad has atom.
// PTX: reduce_grad lacks malloc
// GPU: rev reduce f 8192 1 32 256
#include <ferment_cuda.h>
extern __device__ int enzyme_dup, enzyme_const;
__device__ void __enzyme_autodiff(void *, ...);

__device__ void reduce(const float *x, float *energy, int n) {
  __shared__ float s[256];
  int t = threadIdx.x;
  int i = t + blockIdx.x * blockDim.x;
  s[t] = i < n ? x[i] * x[i] * x[i] : 0.0f;
  __syncthreads();
  for (int k = blockDim.x / 2; k > 0; k >>= 1) {
    if (t < k)
      s[t] += s[t + k];
    __syncthreads();
  }
  if (t == 0)
    atomicAdd(energy, s[0]);
}
extern "C" __global__ void reduce_f(const float *x, float *e, int n) { reduce(x, e, n); }
extern "C" __global__ void reduce_grad(const float *x, float *dx, float *e, float *de, int n) {
  __enzyme_autodiff((void *)reduce, x, dx, e, de, enzyme_const, n);
}
