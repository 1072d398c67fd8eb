// CUDA device code through the NVPTX backend (no GPU on the build machines: the kernels are
// compiled to PTX with the plugin and assembled with ptxas when one is available, not run).
// Covers reverse mode with duplicated device arrays and a loop (the tape grows with
// malloc/free, since device code has no realloc), forward mode of a scalar device function,
// and derivatives of libdevice calls (__nv_sin -> __nv_cos) that NVPTX can select.
// RUN: cuda
#define __global__ __attribute__((global))
#define __device__ __attribute__((device))

extern "C" __device__ double __nv_sin(double);
extern "C" __device__ double __nv_exp(double);
extern "C" __device__ float __nv_tanhf(float);
extern __device__ int enzyme_dup, enzyme_const;
__device__ void __enzyme_autodiff(void *, ...);
__device__ double __enzyme_fwddiff(void *, ...);
__device__ float __enzyme_autodiff_f(void *, float) __asm__("__enzyme_autodiff");

__device__ double f(double x) { return x * x * __nv_sin(x); }
__device__ float act(float x) { return __nv_tanhf(x) * x; }

__device__ void sq(const double *x, double *y, int n) {
  for (int i = 0; i < n; i++)
    y[i] = x[i] * x[i] * __nv_exp(x[i]);
}

__global__ void grad(const double *x, double *dx, double *y, double *dy, int n) {
  int t = __nvvm_read_ptx_sreg_tid_x();
  if (t == 0)
    __enzyme_autodiff((void *)sq, x, dx, y, dy, enzyme_const, n);
  dx[n + t] = __enzyme_fwddiff((void *)f, x[t], 1.0);
}

__global__ void grad_act(const float *x, float *dx) {
  int t = __nvvm_read_ptx_sreg_tid_x();
  dx[t] = __enzyme_autodiff_f((void *)act, x[t]);
}
