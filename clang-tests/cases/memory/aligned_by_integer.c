// Buffers aligned by rounding their address as an integer, (double *)(((uintptr_t)raw + 63) & ~63),
// and by __builtin_align_up / __builtin_align_down (llvm.ptrmask): the aligned pointer is the
// buffer's pointer moved by a number of bytes computed from its address, and its shadow is the
// shadow moved by the same number of bytes (never rounded itself, whose alignment may differ).
// Stack and heap scratch buffers, a window into a duplicated argument whose shadow is deliberately
// misaligned, reverse and forward mode. Oracles: central finite differences, and forward against
// reverse (<grad, v> == tangent).
#include "check.h"
#include <stdint.h>
#include <stdlib.h>

double __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);
enum { N = 6 };

static double stack_scratch(const double *x, int n) {
  char raw[N * 8 + 64];
  double *buf = (double *)(((uintptr_t)raw + 63) & ~(uintptr_t)63);
  for (int i = 0; i < n; i++) buf[i] = x[i] * x[i];
  double s = 0;
  for (int i = 0; i < n; i++) s += buf[i] * x[(i + 1) % n];
  return s;
}
static double heap_scratch(const double *x, int n) {
  char *raw = malloc(n * sizeof(double) + 64);
  uintptr_t a = (uintptr_t)raw;
  double *buf = (double *)(a - a % 64 + 64);
  for (int i = 0; i < n; i++) buf[i] = sin(x[i]) + x[i] * x[(i + 2) % n];
  double s = 0;
  for (int i = 0; i < n; i++) s += buf[i] * buf[(i + 1) % n];
  free(raw);
  return s;
}
static double builtin_aligned(const double *x, int n) {
  double raw[N + 8];
  double *buf = __builtin_align_up(&raw[1], 64);
  for (int i = 0; i < n; i++) buf[i] = exp(0.3 * x[i]);
  double s = 0;
  for (int i = 0; i < n; i++) s += buf[i] * x[i];
  return s;
}
// Reads a window of x starting at the 16-byte boundary at or below &x[3] (x is 64-byte aligned,
// so that is &x[2]); its shadow is the argument's shadow moved by the same 16 bytes.
static double window(const double *x, int n) {
  const double *w = (const double *)((uintptr_t)(x + 3) & ~(uintptr_t)15);
  const double *v = __builtin_align_down(x + 5, 32);
  (void)n;
  return w[0] * w[1] * w[2] + v[0] * v[1];
}

typedef double (*fn)(const double *, int);
static _Alignas(64) double x[N] = {0.3, -0.8, 1.1, 0.5, -1.4, 0.9};
static const double v[N] = {1, -0.5, 0.25, 2, -1, 0.7};
// Shadows one double away from a 64-byte boundary.
static _Alignas(64) double dstore[N + 1];

// Central finite differences perturbing x where it is (a copy would be aligned differently).
static double fd_in_place(fn f, int i) {
  double x0 = x[i], h = fd_step(x0);
  x[i] = x0 + h;
  double up = f(x, N);
  x[i] = x0 - h;
  double down = f(x, N);
  x[i] = x0;
  return (up - down) / (2 * h);
}
static void check(const char *name, fn f, const double *dx, double t) {
  char what[128];
  double dot = 0;
  for (int i = 0; i < N; i++) {
    snprintf(what, sizeof what, "%s: d/dx[%d] vs finite differences", name, i);
    CHECK_CLOSE(what, dx[i], fd_in_place(f, i), RTOL_FD, ATOL_FD);
    dot += dx[i] * v[i];
  }
  snprintf(what, sizeof what, "%s: forward tangent vs reverse gradient", name);
  CHECK_CLOSE(what, t, dot, RTOL_D, ATOL_D);
}
#define RUN(f)                                                                                     \
  do {                                                                                             \
    double *dx = dstore + 1;                                                                       \
    for (int i = 0; i < N; i++) dx[i] = 0;                                                         \
    __enzyme_autodiff((void *)f, enzyme_dup, x, dx, enzyme_const, N);                              \
    double t = __enzyme_fwddiff((void *)f, enzyme_dup, x, v, enzyme_const, N);                     \
    check(#f, f, dx, t);                                                                           \
  } while (0)

int main(void) {
  RUN(stack_scratch);
  RUN(heap_scratch);
  RUN(builtin_aligned);
  RUN(window);
  return check_report();
}
