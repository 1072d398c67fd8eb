// One thread per element, indices from threadIdx/blockIdx/blockDim: the
// adjoint of x[i] is accumulated with a plain read-modify-write (the thread
// also writes y[i], so no other thread owns index i), libdevice math.
// A 1D stencil reads its neighbours' elements: their adjoints need atomics.
// Run on a GPU by scripts/gpu-check.sh (gradient against finite differences).
// RUN: cuda
// PTX: pointwise_grad lacks atom.
// PTX: pointwise_grad has sin
// PTX: stencil_grad has atom.add.f64
// GPU: rev pointwise d 4096 4096 16 256
// GPU: rev stencil d 4096 4096 16 256
#include <ferment_cuda.h>
extern __device__ int enzyme_dup, enzyme_const;
__device__ void __enzyme_autodiff(void *, ...);
extern "C" __device__ double __nv_sin(double);
extern "C" __device__ double __nv_exp(double);

__device__ void pointwise(const double *x, double *y, int n) {
  int i = threadIdx.x + blockIdx.x * blockDim.x;
  if (i < n)
    y[i] = x[i] * __nv_sin(x[i]) + __nv_exp(0.5 * x[i]);
}
extern "C" __global__ void pointwise_f(const double *x, double *y, int n) { pointwise(x, y, n); }
extern "C" __global__ void pointwise_grad(const double *x, double *dx, double *y, double *dy, int n) {
  __enzyme_autodiff((void *)pointwise, x, dx, y, dy, enzyme_const, n);
}

__device__ void stencil(const double *x, double *y, int n) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i > 0 && i < n - 1)
    y[i] = x[i - 1] * x[i + 1] - 2.0 * x[i] * x[i];
}
extern "C" __global__ void stencil_f(const double *x, double *y, int n) { stencil(x, y, n); }
extern "C" __global__ void stencil_grad(const double *x, double *dx, double *y, double *dy, int n) {
  __enzyme_autodiff((void *)stencil, x, dx, y, dy, enzyme_const, n);
}
