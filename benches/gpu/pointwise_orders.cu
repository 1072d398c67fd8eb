// Memory-order experiment behind plugin/src/gpu/hoist.rs: hand-written
// adjoints of one pointwise kernel (y = x sin x + exp(x/2), doubles) that
// differ only in the order and kind of their memory accesses. Each NAME_grad
// passes the runner's finite-difference check; timed on an H200 at n = 4M
// (FERMENT_GPU_TIME=1 clang-tests/gpu/runner variants.ptx rev:NAME:d:4096:4096:16:256 ...):
//   pwh  dx += dy * f'(x)                           39 us (primal 25.5 us)
//   pws  the same with atomicAdd                    36 us
//   pwz  d = dy; dy = 0; dx += d f'                156 us  (a load after a store)
//   pwsz the same with atomicAdd                   139 us
//   pwb  y = f; d = dy; dy = 0; dx += d f'          220 us  (ferment's order before hoist.rs)
//   pwr  pwb with __restrict__ pointers            220 us  (LLVM does not reorder them)
//   pwa  pwb with atomicAdd                        205 us
//   pwl  pwb with the three loads first             68 us  (ferment's order now)
//   pwa2 pwl with atomicAdd                         64 us
// Build: clang-22 -x cuda --cuda-gpu-arch=sm_90 -nocudainc -nocudalib --cuda-device-only
//   -I runtime/include -O2 -emit-llvm -c, llvm-link-22 with libdevice, clang-22 -S to PTX
//   (as scripts/gpu-check.sh does, without the plugin).
#include <ferment_cuda.h>
extern "C" __device__ double __nv_sin(double);
extern "C" __device__ double __nv_cos(double);
extern "C" __device__ double __nv_exp(double);
#define IDX int i = threadIdx.x + blockIdx.x * blockDim.x; if (i >= n) return;
__device__ double fv(double x) { return x * __nv_sin(x) + __nv_exp(0.5 * x); }
__device__ double fp(double x) { return __nv_sin(x) + x * __nv_cos(x) + 0.5 * __nv_exp(0.5 * x); }
#define PRIMAL(N) extern "C" __global__ void N##_f(const double *x, double *y, int n) { IDX y[i] = fv(x[i]); }
PRIMAL(pwh) PRIMAL(pwb) PRIMAL(pwr) PRIMAL(pwa) PRIMAL(pwz) PRIMAL(pwl)
extern "C" __global__ void pwh_grad(const double *x, double *dx, double *y, double *dy, int n) {
  IDX dx[i] += dy[i] * fp(x[i]);
}
extern "C" __global__ void pwz_grad(const double *x, double *dx, double *y, double *dy, int n) {
  IDX double d = dy[i]; dy[i] = 0; dx[i] += d * fp(x[i]);
}
extern "C" __global__ void pwb_grad(const double *x, double *dx, double *y, double *dy, int n) {
  IDX double xi = x[i]; y[i] = fv(xi); double d = dy[i]; dy[i] = 0; dx[i] += d * fp(xi);
}
extern "C" __global__ void pwr_grad(const double *__restrict__ x, double *__restrict__ dx,
                                    double *__restrict__ y, double *__restrict__ dy, int n) {
  IDX double xi = x[i]; y[i] = fv(xi); double d = dy[i]; dy[i] = 0; dx[i] += d * fp(xi);
}
extern "C" __global__ void pwa_grad(const double *x, double *dx, double *y, double *dy, int n) {
  IDX double xi = x[i]; y[i] = fv(xi); double d = dy[i]; dy[i] = 0; atomicAdd(&dx[i], d * fp(xi));
}
/* loads first, then stores (what noalias scopes would let LLVM do) */
extern "C" __global__ void pwl_grad(const double *x, double *dx, double *y, double *dy, int n) {
  IDX double xi = x[i]; double d = dy[i]; double o = dx[i]; y[i] = fv(xi); dy[i] = 0; dx[i] = o + d * fp(xi);
}
PRIMAL(pwa2) PRIMAL(pws) PRIMAL(pwsz)
/* loads first, stores, then the atomic */
extern "C" __global__ void pwa2_grad(const double *x, double *dx, double *y, double *dy, int n) {
  IDX double xi = x[i]; double d = dy[i]; y[i] = fv(xi); dy[i] = 0; atomicAdd(&dx[i], d * fp(xi));
}
/* hand adjoint with an atomic */
extern "C" __global__ void pws_grad(const double *x, double *dx, double *y, double *dy, int n) {
  IDX atomicAdd(&dx[i], dy[i] * fp(x[i]));
}
/* atomic after zeroing dy */
extern "C" __global__ void pwsz_grad(const double *x, double *dx, double *y, double *dy, int n) {
  IDX double d = dy[i]; dy[i] = 0; atomicAdd(&dx[i], d * fp(x[i]));
}
