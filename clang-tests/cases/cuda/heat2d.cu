// One explicit step of the 2D heat equation on an nx-by-ny grid (one thread
// per cell, 1D launch) followed by a per-cell energy: every cell reads its
// four neighbours, so the adjoints scatter to other threads' elements and are
// accumulated atomically (the benchmark kernel of issue 16).
// RUN: cuda
// PTX: heat_grad has atom.add.f64
// GPU: rev heat d 16384 16384 64 256
#include <ferment_cuda.h>
extern __device__ int enzyme_dup, enzyme_const;
__device__ void __enzyme_autodiff(void *, ...);

#define NX 128

__device__ void heat(const double *u, double *e, int n) {
  int i = threadIdx.x + blockIdx.x * blockDim.x;
  int ny = n / NX;
  int ix = i % NX, iy = i / NX;
  if (i >= n || ix == 0 || iy == 0 || ix == NX - 1 || iy == ny - 1)
    return;
  double c = u[i];
  double lap = u[i - 1] + u[i + 1] + u[i - NX] + u[i + NX] - 4.0 * c;
  double v = c + 0.1 * lap;
  e[i] = v * v;
}
extern "C" __global__ void heat_f(const double *u, double *e, int n) { heat(u, e, n); }
extern "C" __global__ void heat_grad(const double *u, double *du, double *e, double *de, int n) {
  __enzyme_autodiff((void *)heat, u, du, e, de, enzyme_const, n);
}
