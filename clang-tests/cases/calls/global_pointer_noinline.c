// Globals across calls that stay calls (noinline helpers, -ferment-no-inline): a global pointer the caller points
// at its (duplicated) array, read and written through by helpers; a global accumulator that
// helpers add into and the caller reads; a helper called twice. Each call carries the globals'
// shadows (for the pointer: the shadow pointer the caller stored, which the callee's
// derivative must not clear). Reverse, forward and batched forward (enzyme_width 2) mode
// against central finite differences and an analytic gradient.
// RUN: clang
// CFLAGS: -mllvm -ferment-no-inline
#include "check.h"

void __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);
typedef struct {
  double d[2];
} Two;
Two __enzyme_fwddiff_2(void *, ...) __asm__("__enzyme_fwddiff");
extern int enzyme_dup, enzyme_const, enzyme_width, enzyme_dupv;

static double *data;
static double total;

__attribute__((noinline)) static void add_square(int i) { total += data[i] * data[i]; }
__attribute__((noinline)) static void scale(int i, double s) { data[i] *= s * data[0]; }
__attribute__((noinline)) static double reduce(int n) {
  double m = 0;
  for (int i = 0; i < n; i++)
    m += sin(data[i]) * total;
  return m;
}

/* total = sum a_i^2 after a_1 <- a_1 * 3 a_0, then sum sin(a_i) * total */
double run(double *a, int n) {
  data = a;
  total = 0;
  for (int i = 0; i < n; i++)
    add_square(i);
  scale(1, 3.0);
  add_square(1);
  return reduce(n);
}

static double base[4] = {0.4, -0.9, 1.3, 0.25};
static int fd_i;
static double run_i(double v) {
  double a[4];
  memcpy(a, base, sizeof a);
  a[fd_i] = v;
  return run(a, 4);
}

int main(void) {
  double a[4], da[4] = {0}, fd[4];
  for (int i = 0; i < 4; i++) {
    fd_i = i;
    fd[i] = fd1(run_i, base[i]);
  }
  memcpy(a, base, sizeof a);
  __enzyme_autodiff((void *)run, enzyme_dup, a, da, enzyme_const, 4);
  for (int i = 0; i < 4; i++)
    CHECK_CLOSE_AT("reverse vs FD", (double)i, da[i], fd[i], RTOL_FD, ATOL_FD);
  for (int i = 0; i < 4; i++) {
    double t[4] = {0};
    t[i] = 1;
    memcpy(a, base, sizeof a);
    double d = __enzyme_fwddiff((void *)run, enzyme_dup, a, t, enzyme_const, 4);
    CHECK_CLOSE_AT("forward vs FD", (double)i, d, fd[i], RTOL_FD, ATOL_FD);
  }
  double t2[8] = {1, 0, 0, 0, 0, 0, 2, 0};
  memcpy(a, base, sizeof a);
  Two w = __enzyme_fwddiff_2((void *)run, enzyme_width, 2, enzyme_dupv, sizeof(double) * 4, a, t2, enzyme_const, 4);
  CHECK_CLOSE("batched lane 0 vs FD", w.d[0], fd[0], RTOL_FD, ATOL_FD);
  CHECK_CLOSE("batched lane 1 vs FD", w.d[1], 2 * fd[2], RTOL_FD, ATOL_FD);
  return check_report();
}
