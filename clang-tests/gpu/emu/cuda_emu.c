/* A CPU emulator of the little of CUDA that ferment's test kernels use, to
 * check GPU derivatives on machines without a GPU. Built as a shared library
 * together with the kernels' IR lowered by lower.py, it is both
 * - the NVVM intrinsics the kernels call (special registers, barriers, warp
 *   shuffles; atomics are the host's), and
 * - a stand-in for the CUDA driver library that clang-tests/gpu/runner.c
 *   loads (FERMENT_CUDA_LIB): memory is host memory, a launch runs the
 *   blocks one after the other, each with one POSIX thread per CUDA thread,
 *   so barriers, shared memory and atomics behave as on a GPU (races
 *   included), and a warp's 32 threads meet for each shuffle.
 * Kernels follow the runner's convention: NAME_f(ptr, ptr, int) and
 * NAME_grad(ptr, ptr, ptr, ptr, int). */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef int CUresult;
typedef unsigned long long CUdeviceptr;

static int ntid[3], nctaid[3], ctaid[3];
static __thread int tid[3];
static pthread_barrier_t block_barrier;
static pthread_barrier_t warp_barrier[32];
static float warp_value[32][32];

static int linear_tid(void) { return tid[0] + ntid[0] * (tid[1] + ntid[1] * tid[2]); }

#define SREG(name, expr)                                                                           \
  int emu_##name(void) __asm__("emu.nvvm.read.ptx.sreg." #name);                                  \
  int emu_##name(void) { return (expr); }
#define SREG3(name, arr)                                                                           \
  int emu_##name##_x(void) __asm__("emu.nvvm.read.ptx.sreg." #name ".x");                         \
  int emu_##name##_y(void) __asm__("emu.nvvm.read.ptx.sreg." #name ".y");                         \
  int emu_##name##_z(void) __asm__("emu.nvvm.read.ptx.sreg." #name ".z");                         \
  int emu_##name##_x(void) { return arr[0]; }                                                      \
  int emu_##name##_y(void) { return arr[1]; }                                                      \
  int emu_##name##_z(void) { return arr[2]; }
SREG3(tid, tid)
SREG3(ntid, ntid)
SREG3(ctaid, ctaid)
SREG3(nctaid, nctaid)
SREG(laneid, linear_tid() & 31)
SREG(warpsize, 32)

void emu_barrier(int id) __asm__("emu.nvvm.barrier.cta.sync.aligned.all");
void emu_barrier(int id) {
  (void)id;
  pthread_barrier_wait(&block_barrier);
}
void emu_barrier_all(int id) __asm__("emu.nvvm.barrier.cta.sync.all");
void emu_barrier_all(int id) { emu_barrier(id); }
void emu_warp_sync(int mask) __asm__("emu.nvvm.bar.warp.sync");
void emu_warp_sync(int mask) {
  (void)mask;
  pthread_barrier_wait(&warp_barrier[linear_tid() / 32]);
}

/* shfl.sync semantics (PTX ISA): kind 0 idx, 1 up, 2 down, 3 bfly. */
float emu_shfl_pred(int kind, float v, int b, int c, int *pred) {
  int lane = linear_tid() & 31, warp = linear_tid() / 32;
  int seg = (c >> 8) & 0x1f, cval = c & 0x1f;
  int max_lane = (lane & seg) | (cval & ~seg), min_lane = lane & seg;
  int j = lane, p = 0;
  switch (kind) {
  case 0: j = min_lane | (b & ~seg); p = j <= max_lane; break;
  case 1: j = lane - b; p = j >= max_lane; break;
  case 2: j = lane + b; p = j <= max_lane; break;
  default: j = lane ^ b; p = j <= max_lane; break;
  }
  if (!p)
    j = lane;
  warp_value[warp][lane] = v;
  pthread_barrier_wait(&warp_barrier[warp]);
  float r = warp_value[warp][j];
  pthread_barrier_wait(&warp_barrier[warp]);
  *pred = p;
  return r;
}
#define SHFL(kind, code)                                                                           \
  float emu_shfl_##kind(int m, float v, int b, int c) __asm__("emu.nvvm.shfl.sync." #kind ".f32"); \
  float emu_shfl_##kind(int m, float v, int b, int c) {                                            \
    int p;                                                                                         \
    (void)m;                                                                                       \
    return emu_shfl_pred(code, v, b, c, &p);                                                       \
  }
SHFL(idx, 0)
SHFL(up, 1)
SHFL(down, 2)
SHFL(bfly, 3)
/* The 32-bit integer shuffles move the same bits. */
#define SHFL_I(kind, code)                                                                         \
  int emu_shfl_i_##kind(int m, int v, int b, int c) __asm__("emu.nvvm.shfl.sync." #kind ".i32");   \
  int emu_shfl_i_##kind(int m, int v, int b, int c) {                                              \
    int p;                                                                                         \
    float f, r;                                                                                    \
    (void)m;                                                                                       \
    memcpy(&f, &v, 4);                                                                             \
    r = emu_shfl_pred(code, f, b, c, &p);                                                          \
    memcpy(&v, &r, 4);                                                                             \
    return v;                                                                                      \
  }
SHFL_I(idx, 0)
SHFL_I(up, 1)
SHFL_I(down, 2)
SHFL_I(bfly, 3)

/* libdevice, as the host's libm. */
static double rsqrt(double x) { return 1.0 / sqrt(x); }
static float rsqrtf(float x) { return 1.0f / sqrtf(x); }
#define NV1(fn)                                                                                    \
  double __nv_##fn(double x) { return fn(x); }                                                     \
  float __nv_##fn##f(float x) { return fn##f(x); }
NV1(sin) NV1(cos) NV1(tan) NV1(exp) NV1(log) NV1(sqrt) NV1(tanh) NV1(sinh) NV1(cosh) NV1(atan)
NV1(exp2) NV1(log2) NV1(log10) NV1(asin) NV1(acos) NV1(fabs) NV1(log1p) NV1(expm1) NV1(cbrt)
NV1(erf) NV1(erfc) NV1(asinh) NV1(acosh) NV1(atanh) NV1(exp10) NV1(rsqrt)
double __nv_pow(double x, double y) { return pow(x, y); }
float __nv_powf(float x, float y) { return powf(x, y); }
#define NV2(fn)                                                                                    \
  double __nv_##fn(double x, double y) { return fn(x, y); }                                        \
  float __nv_##fn##f(float x, float y) { return fn##f(x, y); }
NV2(fmax) NV2(fmin) NV2(atan2) NV2(hypot) NV2(fmod)
void __nv_sincos(double x, double *s, double *c) { *s = sin(x), *c = cos(x); }
void __nv_sincosf(float x, float *s, float *c) { *s = sinf(x), *c = cosf(x); }

/* ---- the driver API, as runner.c uses it ---- */
CUresult cuInit(unsigned f) { (void)f; return 0; }
CUresult cuDeviceGet(int *d, int i) { *d = i; return i == 0 ? 0 : 100; }
CUresult cuDeviceGetName(char *s, int n, int d) {
  (void)d;
  snprintf(s, n, "CPU emulator (one POSIX thread per CUDA thread)");
  return 0;
}
CUresult cuCtxCreate_v2(void **c, unsigned f, int d) { (void)f, (void)d; *c = 0; return 0; }
CUresult cuCtxSetLimit(int l, size_t v) { (void)l, (void)v; return 0; }
CUresult cuCtxSynchronize(void) { return 0; }
CUresult cuModuleLoadDataEx(void **m, const void *p, unsigned n, int *o, void **v) {
  (void)p, (void)n, (void)o, (void)v; /* the kernels are linked in */
  *m = 0;
  return 0;
}
CUresult cuModuleGetFunction(void **f, void *m, const char *name) {
  (void)m;
  Dl_info info;
  if (!dladdr((void *)cuModuleGetFunction, &info))
    return 500;
  void *self = dlopen(info.dli_fname, RTLD_NOW | RTLD_NOLOAD);
  *f = self ? dlsym(self, name) : 0;
  return *f ? 0 : 500;
}
CUresult cuMemAlloc_v2(CUdeviceptr *p, size_t n) {
  *p = (CUdeviceptr)(size_t)calloc(1, n);
  return *p ? 0 : 2;
}
CUresult cuMemFree_v2(CUdeviceptr p) { free((void *)(size_t)p); return 0; }
CUresult cuMemcpyHtoD_v2(CUdeviceptr d, const void *s, size_t n) {
  memcpy((void *)(size_t)d, s, n);
  return 0;
}
CUresult cuMemcpyDtoH_v2(void *d, CUdeviceptr s, size_t n) {
  memcpy(d, (void *)(size_t)s, n);
  return 0;
}
CUresult cuGetErrorString(CUresult r, const char **s) {
  *s = r == 500 ? "kernel not found" : "emulator error";
  return 0;
}

struct Thread {
  void *kernel;
  int grad, t[3];
  void **params;
};
static void *run_thread(void *arg) {
  struct Thread *th = arg;
  memcpy(tid, th->t, sizeof tid);
  /* All threads of the block start together, so that races show. */
  pthread_barrier_wait(&block_barrier);
  void **p = th->params;
  if (th->grad)
    ((void (*)(void *, void *, void *, void *, int))th->kernel)(
        *(void **)p[0], *(void **)p[1], *(void **)p[2], *(void **)p[3], *(int *)p[4]);
  else
    ((void (*)(void *, void *, int))th->kernel)(*(void **)p[0], *(void **)p[1], *(int *)p[2]);
  return 0;
}

CUresult cuLaunchKernel(void *f, unsigned gx, unsigned gy, unsigned gz, unsigned bx, unsigned by,
                        unsigned bz, unsigned shmem, void *stream, void **params, void **extra) {
  (void)shmem, (void)stream, (void)extra;
  Dl_info info;
  if (!dladdr(f, &info) || !info.dli_sname)
    return 400;
  size_t len = strlen(info.dli_sname);
  int grad = len > 5 && strcmp(info.dli_sname + len - 5, "_grad") == 0;
  int n = bx * by * bz;
  if (n > 1024)
    return 1;
  ntid[0] = bx, ntid[1] = by, ntid[2] = bz;
  nctaid[0] = gx, nctaid[1] = gy, nctaid[2] = gz;
  struct Thread *th = calloc(n, sizeof *th);
  pthread_t *ids = calloc(n, sizeof *ids);
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setstacksize(&attr, 1 << 20);
  for (unsigned z = 0; z < gz; z++)
    for (unsigned y = 0; y < gy; y++)
      for (unsigned x = 0; x < gx; x++) {
        ctaid[0] = x, ctaid[1] = y, ctaid[2] = z;
        pthread_barrier_init(&block_barrier, 0, n);
        for (int w = 0; w < (n + 31) / 32; w++)
          pthread_barrier_init(&warp_barrier[w], 0, n - 32 * w < 32 ? n - 32 * w : 32);
        for (int i = 0; i < n; i++) {
          th[i] = (struct Thread){f, grad, {i % bx, (i / bx) % by, i / (bx * by)}, params};
          if (pthread_create(&ids[i], &attr, run_thread, &th[i]) != 0)
            return 2;
        }
        for (int i = 0; i < n; i++)
          pthread_join(ids[i], 0);
        pthread_barrier_destroy(&block_barrier);
        for (int w = 0; w < (n + 31) / 32; w++)
          pthread_barrier_destroy(&warp_barrier[w]);
      }
  pthread_attr_destroy(&attr);
  free(th);
  free(ids);
  return 0;
}
