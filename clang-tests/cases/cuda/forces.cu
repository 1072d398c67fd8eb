// Per-particle forces with an all-pairs loop (1D positions, softened
// inverse-square law): each thread reads every particle, so the adjoints
// scatter into all of dx with atomics.
// RUN: cuda
// PTX: forces_grad has atom.add.f64
// With __restrict__ pointers the reverse sweep reads x again and recomputes
// the libdevice sqrt: no tape at all.
// PTX: forcesr_grad lacks malloc
// PTX: forcesr_grad lacks .local
// GPU: rev forces d 1024 1024 4 256
// GPU: rev forcesr d 1024 1024 4 256
#include <ferment_cuda.h>
extern __device__ int enzyme_dup, enzyme_const;
__device__ void __enzyme_autodiff(void *, ...);
extern "C" __device__ double __nv_sqrt(double);

__device__ void forces(const double *x, double *f, int n) {
  int i = threadIdx.x + blockIdx.x * blockDim.x;
  if (i >= n)
    return;
  double xi = x[i], acc = 0.0;
  for (int j = 0; j < n; j++) {
    double d = x[j] - xi;
    double r2 = d * d + 0.01;
    acc += d / (r2 * __nv_sqrt(r2));
  }
  f[i] = acc;
}
extern "C" __global__ void forces_f(const double *x, double *f, int n) { forces(x, f, n); }
extern "C" __global__ void forces_grad(const double *x, double *dx, double *f, double *df, int n) {
  __enzyme_autodiff((void *)forces, x, dx, f, df, enzyme_const, n);
}

__device__ void forcesr(const double *__restrict__ x, double *__restrict__ f, int n) {
  int i = threadIdx.x + blockIdx.x * blockDim.x;
  if (i >= n)
    return;
  double xi = x[i], acc = 0.0;
  for (int j = 0; j < n; j++) {
    double d = x[j] - xi;
    double r2 = d * d + 0.01;
    acc += d / (r2 * __nv_sqrt(r2));
  }
  f[i] = acc;
}
extern "C" __global__ void forcesr_f(const double *x, double *f, int n) { forcesr(x, f, n); }
extern "C" __global__ void forcesr_grad(const double *x, double *dx, double *f, double *df, int n) {
  __enzyme_autodiff((void *)forcesr, x, dx, f, df, enzyme_const, n);
}
