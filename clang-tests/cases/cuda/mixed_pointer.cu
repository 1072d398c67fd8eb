// A pointer that is either a duplicated array or a constant one (runtime
// activity): the adjoint of a read through it goes to the shadow; for the
// constant array the thread skips the accumulation (an atomic into one
// scratch cell shared by every such thread made the gradient 178x the
// primal on an H200).
// RUN: cuda
// PTX: mixed_grad lacks ferment_$_gpu_$_scratch
// GPU: rev mixed d 4096 4096 16 256
#include <ferment_cuda.h>
extern __device__ int enzyme_dup, enzyme_const;
__device__ void __enzyme_autodiff(void *, ...);

__device__ const double table[4] = {0.5, -1.0, 2.0, 0.25};

__device__ void mixed(const double *x, const double *c, double *y, int n) {
  int i = threadIdx.x + blockIdx.x * blockDim.x;
  if (i >= n)
    return;
  const double *p = (i & 1) ? x : c;
  int j = (i & 1) ? (i + 1) % n : i % 4;
  y[i] = p[j] * x[i];
}
extern "C" __global__ void mixed_f(const double *x, double *y, int n) { mixed(x, table, y, n); }
extern "C" __global__ void mixed_grad(const double *x, double *dx, double *y, double *dy, int n) {
  __enzyme_autodiff((void *)mixed, x, dx, enzyme_const, table, y, dy, enzyme_const, n);
}
