// Kernels shaped like real GPU code, checked against finite differences on a
// GPU by scripts/gpu-check.sh (and in the CPU emulator by the e2e tests):
// - softmax: a row-wise softmax over a warp (max and sum by butterfly
//   shuffles, fmaxf's adjoint to the winning lane), then a weighted output;
// - iterate: a per-thread nonlinear recurrence whose trip count is known only
//   at run time (the tape of each iteration lives with its thread);
// - conv: a 1D convolution with 9 taps and tanh (each input read by 9
//   threads: atomics);
// - scatter: a histogram-style atomicAdd of doubles into the bins of the
//   output (each bin summed by 32 threads);
// - heatfwd: forward mode of one explicit heat step (tangents of neighbours);
// - weights: three coefficients every thread reads (x[0..2]): all lanes of a
//   warp add their adjoints to the same address, which sm_70+ GPUs sum over
//   the warp first (one atomic per warp; the emulator takes the per-lane path).
// RUN: cuda
// PTX: weights_grad has match.all
// GPU: rev softmax f 4096 4096 16 256
// GPU: rev iterate d 2048 2048 8 256
// GPU: rev conv d 4096 4096 16 256
// GPU: rev scatter d 4096 128 16 256
// GPU: fwd heatfwd d 4096 4096 16 256
// GPU: rev weights d 4096 4096 16 256
#include <ferment_cuda.h>
extern __device__ int enzyme_dup, enzyme_const;
__device__ void __enzyme_autodiff(void *, ...);
__device__ void __enzyme_fwddiff(void *, ...);
extern "C" __device__ float __nv_expf(float);
extern "C" __device__ float __nv_fmaxf(float, float);
extern "C" __device__ double __nv_sin(double);
extern "C" __device__ double __nv_tanh(double);

__device__ void softmax(const float *x, float *y, int n) {
  int i = threadIdx.x + blockIdx.x * blockDim.x;
  int lane = threadIdx.x & 31;
  float v = i < n ? x[i] : -1e30f;
  float m = v;
  for (int k = 16; k > 0; k >>= 1)
    m = __nv_fmaxf(m, __shfl_xor_sync(0xffffffffu, m, k));
  float e = __nv_expf(v - m);
  float s = e;
  for (int k = 16; k > 0; k >>= 1)
    s += __shfl_xor_sync(0xffffffffu, s, k);
  if (i < n)
    y[i] = (e / s) * (1.0f + 0.1f * lane);
}
extern "C" __global__ void softmax_f(const float *x, float *y, int n) { softmax(x, y, n); }
extern "C" __global__ void softmax_grad(const float *x, float *dx, float *y, float *dy, int n) {
  __enzyme_autodiff((void *)softmax, x, dx, y, dy, enzyme_const, n);
}

__device__ void iterate(const double *x, double *y, int n) {
  int i = threadIdx.x + blockIdx.x * blockDim.x;
  if (i >= n)
    return;
  double a = x[i], b = x[(i + 1) % n], v = a;
  int steps = 6 + (i % 5) + (n & 3);
  for (int k = 0; k < steps; k++)
    v = v * __nv_sin(v + b) + 0.25 * a;
  y[i] = v;
}
extern "C" __global__ void iterate_f(const double *x, double *y, int n) { iterate(x, y, n); }
extern "C" __global__ void iterate_grad(const double *x, double *dx, double *y, double *dy, int n) {
  __enzyme_autodiff((void *)iterate, x, dx, y, dy, enzyme_const, n);
}

__device__ void conv(const double *x, double *y, int n) {
  int i = threadIdx.x + blockIdx.x * blockDim.x;
  if (i >= n)
    return;
  double acc = 0.0;
  for (int t = -4; t <= 4; t++) {
    int j = i + t;
    if (j >= 0 && j < n)
      acc += x[j] * (0.3 - 0.05 * t * t);
  }
  y[i] = __nv_tanh(acc) * x[i];
}
extern "C" __global__ void conv_f(const double *x, double *y, int n) { conv(x, y, n); }
extern "C" __global__ void conv_grad(const double *x, double *dx, double *y, double *dy, int n) {
  __enzyme_autodiff((void *)conv, x, dx, y, dy, enzyme_const, n);
}

__device__ void scatter(const double *x, double *bins, int n) {
  int i = threadIdx.x + blockIdx.x * blockDim.x;
  if (i < n)
    atomicAdd(&bins[i / 32], x[i] * x[i] * __nv_sin(x[i]));
}
extern "C" __global__ void scatter_f(const double *x, double *y, int n) { scatter(x, y, n); }
extern "C" __global__ void scatter_grad(const double *x, double *dx, double *y, double *dy, int n) {
  __enzyme_autodiff((void *)scatter, x, dx, y, dy, enzyme_const, n);
}

#define NX 64
__device__ void heatfwd(const double *u, double *out, int n) {
  int i = threadIdx.x + blockIdx.x * blockDim.x;
  int ix = i % NX, iy = i / NX, ny = n / NX;
  if (i >= n)
    return;
  if (ix == 0 || iy == 0 || ix == NX - 1 || iy == ny - 1) {
    out[i] = u[i];
    return;
  }
  double lap = u[i - 1] + u[i + 1] + u[i - NX] + u[i + NX] - 4.0 * u[i];
  double v = u[i] + 0.1 * lap;
  out[i] = v * v * v;
}
extern "C" __global__ void heatfwd_f(const double *u, double *o, int n) { heatfwd(u, o, n); }
extern "C" __global__ void heatfwd_grad(const double *u, double *du, double *o, double *d_o, int n) {
  __enzyme_fwddiff((void *)heatfwd, u, du, o, d_o, enzyme_const, n);
}

__device__ void weights(const double *x, double *y, int n) {
  int i = threadIdx.x + blockIdx.x * blockDim.x;
  if (i < n)
    y[i] = x[i] * (x[0] + x[1] * x[i]) + x[2] * __nv_sin(x[i]);
}
extern "C" __global__ void weights_f(const double *x, double *y, int n) { weights(x, y, n); }
extern "C" __global__ void weights_grad(const double *x, double *dx, double *y, double *dy, int n) {
  __enzyme_autodiff((void *)weights, x, dx, y, dy, enzyme_const, n);
}
