// Warp reductions with __shfl_down_sync and __shfl_xor_sync: the reverse of
// a shift down is a shift up (lanes whose source was out of range keep their
// own adjoint), a butterfly is its own reverse. A broadcast (__shfl_sync)
// sums the adjoints of the lanes that read a lane back into it.
// RUN: cuda
// PTX: warp_down_grad has shfl.sync.up
// PTX: warp_xor_grad has shfl.sync.bfly
// GPU: rev warp_down f 4096 1 16 256
// GPU: rev warp_xor f 4096 4096 16 256
// GPU: rev warp_bcast f 4096 4096 16 256
#include <ferment_cuda.h>
extern __device__ int enzyme_dup, enzyme_const;
__device__ void __enzyme_autodiff(void *, ...);

__device__ void warp_down(const float *x, float *out, int n) {
  int i = threadIdx.x + blockIdx.x * blockDim.x;
  float v = i < n ? x[i] * x[i] : 0.0f;
  for (int k = 16; k > 0; k >>= 1)
    v += __shfl_down_sync(0xffffffffu, v, k);
  if ((threadIdx.x & 31) == 0)
    atomicAdd(out, v);
}
extern "C" __global__ void warp_down_f(const float *x, float *o, int n) { warp_down(x, o, n); }
extern "C" __global__ void warp_down_grad(const float *x, float *dx, float *o, float *d_o, int n) {
  __enzyme_autodiff((void *)warp_down, x, dx, o, d_o, enzyme_const, n);
}

// Every lane gets the warp's sum of x^3 and writes x[i] * sum.
__device__ void warp_xor(const float *x, float *y, int n) {
  int i = threadIdx.x + blockIdx.x * blockDim.x;
  float xi = x[i];
  float v = xi * xi * xi;
  for (int m = 1; m < 32; m <<= 1)
    v += __shfl_xor_sync(0xffffffffu, v, m);
  y[i] = xi * v;
}
extern "C" __global__ void warp_xor_f(const float *x, float *y, int n) { warp_xor(x, y, n); }
extern "C" __global__ void warp_xor_grad(const float *x, float *dx, float *y, float *dy, int n) {
  __enzyme_autodiff((void *)warp_xor, x, dx, y, dy, enzyme_const, n);
}

// Each lane multiplies its value by lane 3's and by lane (lane * 5) % 32's
// (of its 16-lane half).
__device__ void warp_bcast(const float *x, float *y, int n) {
  int i = threadIdx.x + blockIdx.x * blockDim.x;
  float xi = x[i];
  float a = __shfl_sync(0xffffffffu, xi * xi, 3);
  float b = __shfl_sync(0xffffffffu, xi, (threadIdx.x * 5) % 32, 16);
  y[i] = xi * a + b * b;
}
extern "C" __global__ void warp_bcast_f(const float *x, float *y, int n) { warp_bcast(x, y, n); }
extern "C" __global__ void warp_bcast_grad(const float *x, float *dx, float *y, float *dy, int n) {
  __enzyme_autodiff((void *)warp_bcast, x, dx, y, dy, enzyme_const, n);
}
