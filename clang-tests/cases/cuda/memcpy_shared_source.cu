// A per-thread local copy (memcpy) of a chunk of x that many threads copy
// too: the reverse of the copy adds the local adjoints back into dx, which
// other threads update at the same time, so it must be atomic.
// RUN: cuda
// PTX: cp_grad has atom.add.f64
// GPU: rev cp d 32 512 2 256
#include <ferment_cuda.h>
extern __device__ int enzyme_dup, enzyme_const;
__device__ void __enzyme_autodiff(void *, ...);

__device__ void cp(const double *x, double *y, int n) {
  int i = threadIdx.x + blockIdx.x * blockDim.x;
  double loc[8];
  __builtin_memcpy(loc, x + 8 * (i % 4), sizeof loc);
  double s = 0.0;
  for (int k = 0; k < 8; k++)
    s += loc[(k + i) % 8] * loc[k];
  y[i] = s;
}
extern "C" __global__ void cp_f(const double *x, double *y, int n) { cp(x, y, n); }
extern "C" __global__ void cp_grad(const double *x, double *dx, double *y, double *dy, int n) {
  __enzyme_autodiff((void *)cp, x, dx, y, dy, enzyme_const, n);
}
