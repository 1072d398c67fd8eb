// CFLAGS: -mllvm -ferment-no-inline
// Values that may be infinite (a quotient at s = 0) that a caller hands to a kept callee, which
// multiplies them by something whose adjoint is zero (a value stored and never read, or returned
// and discarded by the caller): the callee's derivative counted memory and arguments from its
// caller as finite, so at s = 0 its reverse multiplied that zero adjoint by inf: d/du NaN (true:
// 2u, the quotients' terms are never used). Reverse and split modes gave NaN on main 5039d38 at
// -O0 (every shape) and -O1..-O3 (the copy, global and returned shapes; the others' dead stores
// were deleted before ferment ran). Now the caller passes, in the callee derivative's key, which
// arguments and which memory it cannot prove finite (`DerivativeKey::nonfinite_inputs`), and the
// callee counts them as values that may be infinite. Shapes: a quotient stored by the caller and
// read by the callee (fuzz/found/loaded_factor_caller_written.c), passed as an argument, read two
// calls deep, copied by a kept callee and read back by the caller, stored in a loop around the
// call, copied inside one callee and read by another, reached through a global pointer, returned
// by the callee and discarded by the caller, a heap buffer read by a callee's loop. Oracles: the
// analytic derivative at s = 0, central finite differences at s = +-0.7, split mode and forward
// mode against reverse mode.
#include "check.h"
#include <stdlib.h>

extern int enzyme_out;
typedef struct { double du, ds; } D2;
D2 __enzyme_autodiff_d2(void *, ...) __asm__("__enzyme_autodiff");
double __enzyme_fwddiff(void *, ...);
void *__enzyme_augmentfwd(void *, ...);
D2 __enzyme_reverse_d2(void *, ...) __asm__("__enzyme_reverse");

#define NOINL __attribute__((noinline))
#define N 4

NOINL static void scale(double *b, double u) { b[1] = u * b[0]; }
static double caller_stored(double u, double s) {
  double b[2];
  b[0] = 1 / s;
  scale(b, u);
  return u * u;
}

NOINL static void scale_arg(double *b, double u, double q) { b[1] = u * q; }
static double argument(double u, double s) {
  double b[2];
  scale_arg(b, u, 1 / s);
  return u * u;
}

NOINL static void middle(double *b, double u) { scale(b, u); }
static double two_deep(double u, double s) {
  double b[2];
  b[0] = 1 / s;
  middle(b, u);
  return u * u;
}

NOINL static void copy_first(double *d, const double *src) { d[0] = src[0]; }
static double copied_back(double u, double s) {
  double b[2], c[2];
  b[0] = 1 / s;
  copy_first(c, b);
  c[1] = u * c[0];
  return u * u;
}

NOINL static void scale_at(double *b, double u, int i) { b[i + N] = u * b[i]; }
static double in_loop(double u, double s) {
  double b[2 * N], t = 0;
  for (int i = 0; i < N; i++) {
    b[i] = (i + 1) / s;
    scale_at(b, u, i);
    t += u;
  }
  return u * u + t;
}

NOINL static void copy_inside(double *c, const double *b) {
  double t = b[0];
  c[0] = t;
  c[1] = c[0];
}
NOINL static void use_copy(double *c, double u) { c[2] = u * c[1]; }
static double copied_inside(double u, double s) {
  double b[1], c[3];
  b[0] = 1 / s;
  copy_inside(c, b);
  use_copy(c, u);
  return u * u;
}

static double *gp;
NOINL static void scale_global(double u) { gp[1] = u * gp[0]; }
static double through_global(double u, double s) {
  double b[2];
  gp = b;
  b[0] = 1 / s;
  scale_global(u);
  return u * u;
}

NOINL static double product(double u, const double *b) { return u * b[0]; }
static double returned(double u, double s) {
  double b[1];
  b[0] = 1 / s;
  double r = product(u, b);
  return u * u + (s != 0 ? r : 0.0);
}

NOINL static double sum_scaled(const double *b, double u, int n) {
  double t = 0;
  for (int i = 0; i < n; i++)
    t += u * b[i];
  return t;
}
static double heap_buffer(double u, double s) {
  double *b = malloc(N * sizeof(double));
  for (int i = 0; i < N; i++)
    b[i] = (i + 1) / s;
  double r = sum_scaled(b, u, N);
  free(b);
  return u * u + (s != 0 ? r : N * u);
}

#define CHECK_AT(F, u, s, wu, ws)                                                              \
  do {                                                                                         \
    D2 r_ = __enzyme_autodiff_d2((void *)F, u, s);                                             \
    void *tape_ = __enzyme_augmentfwd((void *)F, enzyme_out, u, enzyme_out, s);                \
    D2 sp_ = __enzyme_reverse_d2((void *)F, enzyme_out, u, enzyme_out, s, 1.0, tape_);         \
    double fu_ = __enzyme_fwddiff((void *)F, u, 1.0, s, 0.0);                                  \
    CHECK_CLOSE_AT("reverse " #F " d/du", s, r_.du, wu, RTOL_FD, ATOL_FD);                     \
    CHECK_CLOSE_AT("reverse " #F " d/ds", s, r_.ds, ws, RTOL_FD, ATOL_FD);                     \
    CHECK_CLOSE_AT("split " #F " d/du", s, sp_.du, r_.du, RTOL_D, ATOL_D);                     \
    CHECK_CLOSE_AT("split " #F " d/ds", s, sp_.ds, r_.ds, RTOL_D, ATOL_D);                     \
    CHECK_CLOSE_AT("forward " #F " d/du", s, fu_, r_.du, RTOL_D, ATOL_D);                      \
  } while (0)

#define FD_U(F, u, s) ((F((u) + 1e-6, s) - F((u) - 1e-6, s)) / 2e-6)
#define FD_S(F, u, s) ((F(u, (s) + 1e-6) - F(u, (s) - 1e-6)) / 2e-6)
#define CHECK_FD(F, u, s) CHECK_AT(F, u, s, FD_U(F, u, s), FD_S(F, u, s))
#define CHECK_ALL(F, wu0)                                                                      \
  do {                                                                                         \
    CHECK_AT(F, u, 0.0, wu0, 0.0);                                                             \
    CHECK_FD(F, u, 0.7);                                                                       \
    CHECK_FD(F, u, -0.7);                                                                      \
  } while (0)

int main(void) {
  static const double us[] = {0.3, -1.25, 2.0};
  for (unsigned k = 0; k < COUNT_OF(us); k++) {
    double u = us[k];
    CHECK_ALL(caller_stored, 2.0 * u);
    CHECK_ALL(argument, 2.0 * u);
    CHECK_ALL(two_deep, 2.0 * u);
    CHECK_ALL(copied_back, 2.0 * u);
    CHECK_ALL(in_loop, 2.0 * u + N);
    CHECK_ALL(copied_inside, 2.0 * u);
    CHECK_ALL(through_global, 2.0 * u);
    CHECK_ALL(returned, 2.0 * u);
    CHECK_ALL(heap_buffer, 2.0 * u + N);
  }
  return check_report();
}
