/* A GPU runner for ferment's CUDA kernels that needs no CUDA toolkit: it
 * loads the driver library (libcuda.so.1) with dlopen, loads a PTX module
 * with cuModuleLoadData, and for each kernel pair checks the gradient kernel
 * against central finite differences computed on the GPU with the primal
 * kernel, then times both.
 *
 * Usage: runner FILE.ptx SPEC...    or    runner --probe (exit 0 if a GPU is usable)
 *   SPEC = MODE:NAME:TYPE:N:M:BLOCKS:THREADS
 *   MODE  rev (NAME_grad(x, dx, y, dy, n): reverse mode, dy seeded)
 *         fwd (NAME_grad(x, dx, y, dy, n): forward mode, dx the direction)
 *   TYPE  f (float) or d (double); N inputs x, M outputs y;
 *   primal kernel NAME_f(x, y, n); the launch is BLOCKS x THREADS (1D).
 * The scalar checked is L(x) = sum_j w_j y_j with fixed pseudo-random w
 * (y zeroed before every launch, so kernels may accumulate into it).
 *
 * FERMENT_GPU_TIME=1: no check; each kernel is timed at a size scaled up
 * until the primal takes 200 us (`TIME NAME ...` lines).
 *
 * Output: one line per kernel, `PASS NAME ...` or `FAIL NAME ...`, with the
 * gradient/primal time ratio. Exit status 0 when all pass, 1 when one
 * fails, 77 when there is no GPU (no driver library, no device): then it
 * prints `SKIP: ...` and runs nothing. */
#include <dlfcn.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef int CUresult;
typedef int CUdevice;
typedef void *CUcontext;
typedef void *CUmodule;
typedef void *CUfunction;
typedef void *CUstream;
typedef unsigned long long CUdeviceptr;

/* The driver API entry points used here (versioned names as exported). */
static CUresult (*cuInit)(unsigned);
static CUresult (*cuDeviceGet)(CUdevice *, int);
static CUresult (*cuDeviceGetName)(char *, int, CUdevice);
static CUresult (*cuCtxCreate)(CUcontext *, unsigned, CUdevice);
static CUresult (*cuCtxSetLimit)(int, size_t);
static CUresult (*cuCtxSynchronize)(void);
static CUresult (*cuModuleLoadDataEx)(CUmodule *, const void *, unsigned, int *, void **);
static CUresult (*cuModuleGetFunction)(CUfunction *, CUmodule, const char *);
static CUresult (*cuMemAlloc)(CUdeviceptr *, size_t);
static CUresult (*cuMemFree)(CUdeviceptr);
static CUresult (*cuMemcpyHtoD)(CUdeviceptr, const void *, size_t);
static CUresult (*cuMemcpyDtoH)(void *, CUdeviceptr, size_t);
static CUresult (*cuLaunchKernel)(CUfunction, unsigned, unsigned, unsigned, unsigned, unsigned,
                                  unsigned, unsigned, CUstream, void **, void **);
static CUresult (*cuGetErrorString)(CUresult, const char **);

#define CU_LIMIT_STACK_SIZE 0
#define CU_LIMIT_MALLOC_HEAP_SIZE 2
#define CU_JIT_ERROR_LOG_BUFFER 5
#define CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES 6

static void die(const char *what, CUresult r) {
  const char *s = "?";
  if (cuGetErrorString)
    cuGetErrorString(r, &s);
  fprintf(stderr, "runner: %s failed: %d (%s)\n", what, r, s);
  exit(1);
}
#define CK(call)                                                                                   \
  do {                                                                                             \
    CUresult r_ = (call);                                                                          \
    if (r_ != 0)                                                                                   \
      die(#call, r_);                                                                              \
  } while (0)

static int load_driver(void) {
  /* FERMENT_CUDA_LIB: another implementation of the driver API (the CPU
   * emulator of clang-tests/gpu/emu, which checks this runner's logic and
   * ferment's GPU derivatives without a GPU). */
  const char *lib = getenv("FERMENT_CUDA_LIB");
  void *h = dlopen(lib && *lib ? lib : "libcuda.so.1", RTLD_NOW);
  if (!h && !(lib && *lib))
    h = dlopen("libcuda.so", RTLD_NOW);
  if (!h)
    return 0;
#define SYM(var, name)                                                                             \
  do {                                                                                             \
    *(void **)&var = dlsym(h, name);                                                               \
    if (!var) {                                                                                    \
      fprintf(stderr, "runner: libcuda lacks %s\n", name);                                         \
      return 0;                                                                                    \
    }                                                                                              \
  } while (0)
  SYM(cuInit, "cuInit");
  SYM(cuDeviceGet, "cuDeviceGet");
  SYM(cuDeviceGetName, "cuDeviceGetName");
  SYM(cuCtxCreate, "cuCtxCreate_v2");
  SYM(cuCtxSetLimit, "cuCtxSetLimit");
  SYM(cuCtxSynchronize, "cuCtxSynchronize");
  SYM(cuModuleLoadDataEx, "cuModuleLoadDataEx");
  SYM(cuModuleGetFunction, "cuModuleGetFunction");
  SYM(cuMemAlloc, "cuMemAlloc_v2");
  SYM(cuMemFree, "cuMemFree_v2");
  SYM(cuMemcpyHtoD, "cuMemcpyHtoD_v2");
  SYM(cuMemcpyDtoH, "cuMemcpyDtoH_v2");
  SYM(cuLaunchKernel, "cuLaunchKernel");
  SYM(cuGetErrorString, "cuGetErrorString");
  return 1;
}

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + 1e-9 * t.tv_nsec;
}

static unsigned long long rng = 0x9e3779b97f4a7c15ull;
static double uniform(void) { /* in [-1, 1) */
  rng = rng * 6364136223846793005ull + 1442695040888963407ull;
  return ((rng >> 11) * (1.0 / 9007199254740992.0)) * 2.0 - 1.0;
}

struct Spec {
  int fwd;
  char name[128];
  int dbl;
  int n, m, blocks, threads;
};

/* Host arrays are double; device arrays are float or double. */
struct Buf {
  CUdeviceptr d;
  size_t count, elem;
};
static struct Buf buf(size_t count, int dbl) {
  struct Buf b = {0, count, dbl ? 8 : 4};
  CK(cuMemAlloc(&b.d, count * b.elem + 16));
  return b;
}
static void put(struct Buf b, const double *h) {
  void *t = malloc(b.count * b.elem);
  for (size_t i = 0; i < b.count; i++) {
    if (b.elem == 8)
      ((double *)t)[i] = h ? h[i] : 0.0;
    else
      ((float *)t)[i] = h ? (float)h[i] : 0.0f;
  }
  CK(cuMemcpyHtoD(b.d, t, b.count * b.elem));
  free(t);
}
static void get(struct Buf b, double *h) {
  void *t = malloc(b.count * b.elem);
  CK(cuMemcpyDtoH(t, b.d, b.count * b.elem));
  for (size_t i = 0; i < b.count; i++)
    h[i] = b.elem == 8 ? ((double *)t)[i] : ((float *)t)[i];
  free(t);
}

static void launch(CUfunction f, const struct Spec *s, void **params) {
  CK(cuLaunchKernel(f, s->blocks, 1, 1, s->threads, 1, 1, 0, 0, params, 0));
}

/* L(x) = sum w_j y_j with y = primal(x). */
static double objective(CUfunction f, const struct Spec *s, struct Buf x, struct Buf y,
                        const double *hx, const double *w, double *hy) {
  put(x, hx);
  put(y, 0);
  int n = s->n;
  void *p[] = {&x.d, &y.d, &n};
  launch(f, s, p);
  CK(cuCtxSynchronize());
  get(y, hy);
  double l = 0;
  for (int j = 0; j < s->m; j++)
    l += w[j] * hy[j];
  return l;
}

/* NAME_f and NAME_grad of the module; prints FAIL and returns 0 if absent. */
static int kernels(CUmodule mod, const struct Spec *s, CUfunction *f, CUfunction *g) {
  char fname[160], gname[160];
  snprintf(fname, sizeof fname, "%s_f", s->name);
  snprintf(gname, sizeof gname, "%s_grad", s->name);
  if (cuModuleGetFunction(f, mod, fname) || cuModuleGetFunction(g, mod, gname)) {
    printf("FAIL %s: kernels %s/%s not in the module\n", s->name, fname, gname);
    return 0;
  }
  return 1;
}

/* Timed repetitions (FERMENT_GPU_REPS, default 20). */
static int reps_wanted(void) {
  int reps = getenv("FERMENT_GPU_REPS") ? atoi(getenv("FERMENT_GPU_REPS")) : 20;
  return reps < 1 ? 1 : reps;
}

/* Mean time of one launch over `reps`, after a warm-up launch. */
static double time_launches(CUfunction f, const struct Spec *s, void **params, int reps) {
  launch(f, s, params); /* warm-up */
  CK(cuCtxSynchronize());
  double t0 = now();
  for (int r = 0; r < reps; r++)
    launch(f, s, params);
  CK(cuCtxSynchronize());
  return (now() - t0) / reps;
}

static int run(CUmodule mod, const struct Spec *s) {
  CUfunction f, g;
  if (!kernels(mod, s, &f, &g))
    return 0;
  int n = s->n, m = s->m;
  double *hx = malloc(n * sizeof *hx), *hdx = malloc(n * sizeof *hdx);
  double *hv = malloc(n * sizeof *hv), *xp = malloc(n * sizeof *xp);
  double *w = malloc(m * sizeof *w), *hy = malloc(m * sizeof *hy), *hdy = malloc(m * sizeof *hdy);
  for (int i = 0; i < n; i++)
    hx[i] = 1.0 + 0.5 * uniform();
  for (int j = 0; j < m; j++)
    w[j] = uniform();
  struct Buf x = buf(n, s->dbl), dx = buf(n, s->dbl), y = buf(m, s->dbl), dy = buf(m, s->dbl);
  /* Directions: random, then (double only) a few coordinates. */
  int dirs = s->dbl ? 6 : 3, ok = 1;
  double worst = 0;
  double h = s->dbl ? 1e-6 : 3e-3, tol = s->dbl ? 1e-6 : 2e-2;
  double *grad = 0;
  if (!s->fwd) { /* one reverse launch gives the whole gradient */
    put(x, hx);
    put(dx, 0);
    put(y, 0);
    put(dy, w);
    void *p[] = {&x.d, &dx.d, &y.d, &dy.d, &n};
    launch(g, s, p);
    CK(cuCtxSynchronize());
    get(dx, hdx);
    grad = hdx;
  }
  for (int k = 0; k < dirs; k++) {
    for (int i = 0; i < n; i++)
      hv[i] = k < 3 ? uniform() : (i == (k - 3) * (n - 1) / 2);
    double ad = 0, scale = 0;
    if (grad) {
      for (int i = 0; i < n; i++) {
        ad += grad[i] * hv[i];
        scale += fabs(grad[i] * hv[i]);
      }
    } else { /* forward: one launch per direction */
      put(x, hx);
      put(dx, hv);
      put(y, 0);
      put(dy, 0);
      void *p[] = {&x.d, &dx.d, &y.d, &dy.d, &n};
      launch(g, s, p);
      CK(cuCtxSynchronize());
      get(dy, hdy);
      for (int j = 0; j < m; j++) {
        ad += w[j] * hdy[j];
        scale += fabs(w[j] * hdy[j]);
      }
    }
    for (int i = 0; i < n; i++)
      xp[i] = hx[i] + h * hv[i];
    double lp = objective(f, s, x, y, xp, w, hy);
    for (int i = 0; i < n; i++)
      xp[i] = hx[i] - h * hv[i];
    double lm = objective(f, s, x, y, xp, w, hy);
    double fd = (lp - lm) / (2 * h);
    double err = fabs(ad - fd) / (scale > 1 ? scale : 1);
    if (err > worst)
      worst = err;
    if (!(err <= tol)) {
      ok = 0;
      printf("  %s direction %d: derivative %.10g, finite difference %.10g\n", s->name, k, ad, fd);
    }
  }
  /* Timings: mean over repetitions, after a warm-up. */
  int reps = reps_wanted();
  void *pp[] = {&x.d, &y.d, &n};
  void *pg[] = {&x.d, &dx.d, &y.d, &dy.d, &n};
  double tp = time_launches(f, s, pp, reps), tg = time_launches(g, s, pg, reps);
  printf("%s %s (%s, %s, n=%d): worst relative error %.2e; primal %.1f us, %s %.1f us, ratio %.2f\n",
         ok ? "PASS" : "FAIL", s->name, s->fwd ? "forward" : "reverse", s->dbl ? "double" : "float",
         n, worst, tp * 1e6, s->fwd ? "tangent" : "gradient", tg * 1e6, tg / tp);
  cuMemFree(x.d);
  cuMemFree(dx.d);
  cuMemFree(y.d);
  cuMemFree(dy.d);
  free(hx), free(hdx), free(hv), free(xp), free(w), free(hy), free(hdy);
  return ok;
}

/* Timing at sizes where the GPU does real work (the checked sizes are
 * dominated by launch overhead): n and the grid are doubled together while
 * the primal takes under 200 us and n stays under 2^22. Only kernels whose
 * output is one value or one value per input (and whose index is the global
 * thread index, which all such test kernels use) are scaled. No check here:
 * run after the checking pass, in its own process. */
static int time_scaled(CUmodule mod, const struct Spec *s0) {
  CUfunction f, g;
  if (!kernels(mod, s0, &f, &g))
    return 0;
  int scalable = s0->m == 1 || s0->m == s0->n;
  struct Spec s = *s0;
  double tp = 0;
  for (int k = 1;; k *= 2) {
    s.n = s0->n * k;
    s.m = s0->m == 1 ? 1 : s.n;
    s.blocks = s0->blocks * k;
    struct Buf x = buf(s.n, s.dbl), y = buf(s.m, s.dbl);
    double *hx = malloc(s.n * sizeof *hx);
    for (int i = 0; i < s.n; i++)
      hx[i] = 1.0 + 0.5 * uniform();
    put(x, hx);
    put(y, 0);
    void *pp[] = {&x.d, &y.d, &s.n};
    tp = time_launches(f, &s, pp, 5);
    cuMemFree(x.d);
    cuMemFree(y.d);
    free(hx);
    if (!scalable || tp > 200e-6 || s.n >= (1 << 22))
      break;
  }
  int n = s.n;
  struct Buf x = buf(n, s.dbl), dx = buf(n, s.dbl), y = buf(s.m, s.dbl), dy = buf(s.m, s.dbl);
  double *hx = malloc(n * sizeof *hx), *hw = malloc(s.m * sizeof *hw);
  for (int i = 0; i < n; i++)
    hx[i] = 1.0 + 0.5 * uniform();
  for (int j = 0; j < s.m; j++)
    hw[j] = uniform();
  put(x, hx);
  put(dx, 0);
  put(y, 0);
  put(dy, hw);
  int reps = reps_wanted();
  void *pp[] = {&x.d, &y.d, &n};
  void *pg[] = {&x.d, &dx.d, &y.d, &dy.d, &n};
  tp = time_launches(f, &s, pp, reps);
  double tg = time_launches(g, &s, pg, reps);
  printf("TIME %s (%s, %s, n=%d, %d x %d threads): primal %.1f us, %s %.1f us, ratio %.2f\n",
         s.name, s.fwd ? "forward" : "reverse", s.dbl ? "double" : "float", n, s.blocks, s.threads,
         tp * 1e6, s.fwd ? "tangent" : "gradient", tg * 1e6, tg / tp);
  cuMemFree(x.d);
  cuMemFree(dx.d);
  cuMemFree(y.d);
  cuMemFree(dy.d);
  free(hx), free(hw);
  return 1;
}

static int parse(const char *arg, struct Spec *s) {
  char mode[8], type[4];
  memset(s, 0, sizeof *s);
  if (sscanf(arg, "%7[^:]:%127[^:]:%3[^:]:%d:%d:%d:%d", mode, s->name, type, &s->n, &s->m,
             &s->blocks, &s->threads) != 7)
    return 0;
  s->fwd = strcmp(mode, "fwd") == 0;
  s->dbl = type[0] == 'd';
  return (s->fwd || strcmp(mode, "rev") == 0) && (type[0] == 'd' || type[0] == 'f') && s->n > 0 &&
         s->m > 0 && s->blocks > 0 && s->threads > 0;
}

int main(int argc, char **argv) {
  if (argc == 2 && strcmp(argv[1], "--probe") == 0) { /* is there a GPU? */
    CUdevice dev;
    int ok = load_driver() && cuInit(0) == 0 && cuDeviceGet(&dev, 0) == 0;
    printf("%s\n", ok ? "GPU: yes" : "SKIP: no GPU (no libcuda.so.1, or no device)");
    return ok ? 0 : 77;
  }
  if (argc < 3) {
    fprintf(stderr, "usage: %s FILE.ptx MODE:NAME:TYPE:N:M:BLOCKS:THREADS...\n", argv[0]);
    return 2;
  }
  struct Spec *specs = calloc(argc, sizeof *specs);
  for (int i = 2; i < argc; i++)
    if (!parse(argv[i], &specs[i])) {
      fprintf(stderr, "runner: bad kernel spec '%s'\n", argv[i]);
      return 2;
    }
  FILE *fp = fopen(argv[1], "rb");
  if (!fp) {
    perror(argv[1]);
    return 2;
  }
  fseek(fp, 0, SEEK_END);
  long len = ftell(fp);
  rewind(fp);
  char *ptx = calloc(len + 1, 1);
  if (fread(ptx, 1, len, fp) != (size_t)len) {
    perror(argv[1]);
    return 2;
  }
  fclose(fp);
  if (!load_driver()) {
    if (getenv("FERMENT_CUDA_LIB") && *getenv("FERMENT_CUDA_LIB")) {
      fprintf(stderr, "runner: cannot load FERMENT_CUDA_LIB: %s\n", dlerror());
      return 2;
    }
    printf("SKIP: no CUDA driver library (libcuda.so.1): no GPU here\n");
    return 77;
  }
  CUdevice dev;
  if (cuInit(0) != 0 || cuDeviceGet(&dev, 0) != 0) {
    printf("SKIP: the CUDA driver finds no GPU\n");
    return 77;
  }
  char devname[256] = "?";
  cuDeviceGetName(devname, sizeof devname, dev);
  CUcontext ctx;
  CK(cuCtxCreate(&ctx, 0, dev));
  /* Tapes that fall back to device malloc need a larger heap than 8 MB. */
  CK(cuCtxSetLimit(CU_LIMIT_MALLOC_HEAP_SIZE, (size_t)512 << 20));
  /* FERMENT_GPU_STACK: per-thread stack bytes (tools such as
   * compute-sanitizer need more than the default). */
  if (getenv("FERMENT_GPU_STACK"))
    CK(cuCtxSetLimit(CU_LIMIT_STACK_SIZE, (size_t)atol(getenv("FERMENT_GPU_STACK"))));
  char log[8192] = "";
  int opts[] = {CU_JIT_ERROR_LOG_BUFFER, CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES};
  void *vals[] = {log, (void *)(size_t)sizeof log};
  CUmodule mod;
  CUresult r = cuModuleLoadDataEx(&mod, ptx, 2, opts, vals);
  if (r != 0) {
    fprintf(stderr, "%s\n", log);
    die("cuModuleLoadDataEx", r);
  }
  printf("GPU: %s, module %s\n", devname, argv[1]);
  int failed = 0, timing = getenv("FERMENT_GPU_TIME") && *getenv("FERMENT_GPU_TIME") == '1';
  for (int i = 2; i < argc; i++) {
    failed += timing ? !time_scaled(mod, &specs[i]) : !run(mod, &specs[i]);
    fflush(stdout);
  }
  return failed ? 1 : 0;
}
