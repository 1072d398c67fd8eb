// Device functions that stay calls (noinline) are differentiated through
// their augmented forward and reverse functions, with a tape on the device;
// a barrier in such a callee is mirrored in its reverse function. Scalar
// requests per thread (enzyme_out, the derivative returned), and forward mode
// of a function with a __shared__ array (its tangent array is cleared by the
// block first).
// RUN: cuda
// GPU: rev callee d 1000 1000 4 256
// GPU: rev scalar d 4096 4096 16 256
// GPU: rev sharedcall f 1024 1024 4 256
// GPU: fwd fwdshared f 1024 1024 4 256
#include <ferment_cuda.h>
extern __device__ int enzyme_dup, enzyme_const, enzyme_out;
__device__ void __enzyme_autodiff(void *, ...);
__device__ void __enzyme_fwddiff(void *, ...);
__device__ double __enzyme_autodiff_d(void *, double) __asm__("__enzyme_autodiff");
extern "C" __device__ double __nv_log1p(double);
extern "C" __device__ double __nv_cos(double);

__device__ __attribute__((noinline)) double g(double a, double b) { return a * __nv_cos(b) + b * b; }

__device__ void callee(const double *x, double *y, int n) {
  int i = threadIdx.x + blockIdx.x * blockDim.x;
  if (i < n)
    y[i] = g(x[i], x[(i + 1) % n]) * x[i];
}
extern "C" __global__ void callee_f(const double *x, double *y, int n) { callee(x, y, n); }
extern "C" __global__ void callee_grad(const double *x, double *dx, double *y, double *dy, int n) {
  __enzyme_autodiff((void *)callee, x, dx, y, dy, enzyme_const, n);
}

__device__ double h(double x) { return __nv_log1p(x * x) * x; }
extern "C" __global__ void scalar_f(const double *x, double *y, int n) {
  int i = threadIdx.x + blockIdx.x * blockDim.x;
  y[i] = h(x[i]);
}
extern "C" __global__ void scalar_grad(const double *x, double *dx, double *y, double *dy, int n) {
  int i = threadIdx.x + blockIdx.x * blockDim.x;
  dx[i] += dy[i] * __enzyme_autodiff_d((void *)h, x[i]);
}

// A block-wide exchange in a noinline callee: each thread reads its
// neighbour's staged value.
__device__ __attribute__((noinline)) float exchange(float v) {
  __shared__ float s[256];
  s[threadIdx.x] = v;
  __syncthreads();
  float r = s[(threadIdx.x + 1) % blockDim.x];
  __syncthreads();
  return r;
}
__device__ void sharedcall(const float *x, float *y, int n) {
  int i = threadIdx.x + blockIdx.x * blockDim.x;
  float v = x[i] * x[i];
  y[i] = exchange(v) * x[i];
}
extern "C" __global__ void sharedcall_f(const float *x, float *y, int n) { sharedcall(x, y, n); }
extern "C" __global__ void sharedcall_grad(const float *x, float *dx, float *y, float *dy, int n) {
  __enzyme_autodiff((void *)sharedcall, x, dx, y, dy, enzyme_const, n);
}

__device__ void fwdshared(const float *x, float *y, int n) {
  __shared__ float s[256];
  int t = threadIdx.x, i = t + blockIdx.x * blockDim.x;
  s[t] = x[i] * x[i];
  __syncthreads();
  y[i] = s[(t + 5) % blockDim.x] * x[i];
}
extern "C" __global__ void fwdshared_f(const float *x, float *y, int n) { fwdshared(x, y, n); }
extern "C" __global__ void fwdshared_grad(const float *x, float *dx, float *y, float *dy, int n) {
  __enzyme_fwddiff((void *)fwdshared, x, dx, y, dy, enzyme_const, n);
}
