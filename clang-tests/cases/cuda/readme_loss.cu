// The README's GPU (CUDA) example, kept compiling and checked on a GPU by
// scripts/gpu-check.sh: libdevice math, a __shared__ reduction, atomicAdd.
// RUN: cuda
// PTX: loss_grad has>=5 bar.sync
// GPU: rev loss f 8192 1 32 256
#include <ferment_cuda.h>
extern __device__ int enzyme_dup, enzyme_const;
__device__ void __enzyme_autodiff(void *, ...);
extern "C" __device__ float __nv_expf(float);

// The function to differentiate: one thread per element, then a block sum.
__device__ void loss(const float *x, float *total, int n) {
  __shared__ float part[256];
  int t = threadIdx.x, i = blockIdx.x * blockDim.x + t;
  part[t] = i < n ? __nv_expf(-x[i] * x[i]) : 0.0f;
  __syncthreads();
  for (int k = blockDim.x / 2; k > 0; k >>= 1) {
    if (t < k)
      part[t] += part[t + k];
    __syncthreads();
  }
  if (t == 0)
    atomicAdd(total, part[0]);
}

// The primal kernel and the gradient kernel: dx += d(total)/dx * dtotal.
extern "C" __global__ void loss_f(const float *x, float *total, int n) { loss(x, total, n); }
extern "C" __global__ void loss_grad(const float *x, float *dx, float *total, float *dtotal, int n) {
  __enzyme_autodiff((void *)loss, enzyme_dup, x, dx, enzyme_dup, total, dtotal, enzyme_const, n);
}
