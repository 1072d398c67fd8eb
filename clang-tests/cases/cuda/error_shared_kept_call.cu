// A __shared__ array holding derivative data on both sides of a call that stays a call (a
// recursive device function reading it): the shadow of shared memory is built per block by the
// function that owns it, so it is not carried into the callee's derivative. A clear error
// naming the call and the array instead of a lost derivative.
// RUN: cuda
// EXPECT-ERROR: error_shared_kept_call.cu:13
// EXPECT-ERROR: is GPU shared memory with a derivative here
#include <ferment_cuda.h>
extern __device__ int enzyme_dup, enzyme_const;
__device__ void __enzyme_autodiff(void *, ...);

__shared__ float s[128];
__device__ __noinline__ float walk(int t, int n) { return n == 0 ? s[t] : s[(t + n) % 128] * walk(t, n - 1); }
__device__ void f(const float *x, float *y) {
  int t = threadIdx.x;
  s[t] = x[t] * x[t];
  __syncthreads();
  y[t] = walk(t, 3);
}
extern "C" __global__ void grad(const float *x, float *dx, float *y, float *dy) {
  __enzyme_autodiff((void *)f, x, dx, y, dy);
}
