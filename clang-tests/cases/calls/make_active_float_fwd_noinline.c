// CFLAGS: -mllvm -ferment-no-inline
// VALGRIND
// Forward mode through allocation wrappers that stay calls (-ferment-no-inline) and take an
// active float by value: `make(a, x, n)` returns a malloc'ed block filled from the scalar `a` and
// the duplicated array `x`, `make_scaled(a, n)` one filled from `a` alone; the caller reads the
// blocks and frees them. Refused before session 38 ("forward mode cannot yet differentiate
// 'make', which returns a pointer to active memory and takes an active float"): the shadow walk
// builds the call of the callee's tangent function before any tangent exists, so the float's
// tangent is now filled into that call when the sweep reaches it. Oracles: central finite
// differences of the primal in the direction of the seeds, forward vs reverse (`dotv`).
#include "check.h"
#include <stdlib.h>

double __enzyme_fwddiff(void *, ...);
void __enzyme_autodiff(void *, ...);
extern int enzyme_dup, enzyme_const, enzyme_out;

__attribute__((noinline)) static double *make(double a, const double *x, int n) {
  double *p = (double *)malloc(sizeof(double) * (size_t)n);
  for (int i = 0; i < n; i++)
    p[i] = sin(a * x[i]) + a * a;
  return p;
}

__attribute__((noinline)) static double *make_scaled(double a, int n) {
  double *p = (double *)malloc(sizeof(double) * (size_t)n);
  for (int i = 0; i < n; i++)
    p[i] = exp(a / (i + 1));
  return p;
}

#define N 4
static double f(double a, const double *x) {
  double *p = make(a, x, N);
  double *q = make_scaled(a * x[0], N);
  double s = 0;
  for (int i = 0; i < N; i++)
    s += p[i] * q[i] + p[i] * p[i];
  free(p);
  free(q);
  return s;
}

static double f_packed(const double *v) { return f(v[0], v + 1); }

int main(void) {
  unsigned s = 38;
  for (int t = 0; t < 3; t++) {
    double v[1 + N], d[1 + N], xs[1 + N], r[1 + N] = {0};
    for (int i = 0; i < 1 + N; i++) {
      v[i] = prand(&s);
      d[i] = prand(&s);
    }
    double tan = __enzyme_fwddiff((void *)f, v[0], d[0], enzyme_dup, v + 1, d + 1);
    double h = 1e-6;
    shift_along(xs, v, d, h, 1 + N);
    double fp = f_packed(xs);
    shift_along(xs, v, d, -h, 1 + N);
    double fm = f_packed(xs);
    CHECK_CLOSE_AT("fwd tangent vs central difference", v[0], tan, (fp - fm) / (2 * h), RTOL_FD,
                   ATOL_FD);
    // the reverse gradient dotted with the seed gives the same number
    __enzyme_autodiff((void *)f_packed, enzyme_dup, v, r);
    CHECK_CLOSE_AT("fwd vs rev", v[0], tan, dotv(r, d, 1 + N), RTOL_D, ATOL_D);
    // the scalar alone, as the only active input
    double ta = __enzyme_fwddiff((void *)f, v[0], 1.0, enzyme_const, v + 1);
    CHECK_CLOSE_AT("fwd d/da vs fdv", v[0], ta, fdv(f_packed, v, 1 + N, 0), RTOL_FD, ATOL_FD);
  }
  return check_report();
}
