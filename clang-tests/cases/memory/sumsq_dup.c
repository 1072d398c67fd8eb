// Pointer arguments (enzyme_dup by default): gradient of sum_i w_i x_i^2 + sin(x_i) over an array,
// written (+=) into the shadow array; n is a runtime loop bound. Reverse and forward.
#include "check.h"

void __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);

#define N 7

static double sumsq(const double *x, const double *w, int n) {
  double s = 0.0;
  for (int i = 0; i < n; i++)
    s += w[i] * x[i] * x[i] + sin(x[i]);
  return s;
}
static double sumsq_fixed(const double *x) {
  static const double w[N] = {1, 2, 3, 4, 5, 6, 7};
  return sumsq(x, w, N);
}

int main(void) {
  double x[N], x0[N], w[N], dx[N], tx[N];
  for (int i = 0; i < N; i++) {
    x[i] = 0.3 * i - 0.8;
    w[i] = 1.0 + i;
    dx[i] = 100.0; // the derivative is ADDED to the shadow
    tx[i] = (i % 2) ? 1.0 : -0.5;
  }
  memcpy(x0, x, sizeof x);
  __enzyme_autodiff((void *)sumsq, x, dx, enzyme_const, w, N);
  double dir = 0.0;
  char what[128];
  for (int i = 0; i < N; i++) {
    double want = 2.0 * w[i] * x[i] + cos(x[i]);
    snprintf(what, sizeof what, "oracle: d/dx[%d] vs finite differences", i);
    CHECK_CLOSE(what, want, fdv(sumsq_fixed, x, N, i), RTOL_FD, ATOL_FD);
    snprintf(what, sizeof what, "reverse shadow dx[%d] (accumulated onto 100)", i);
    CHECK_CLOSE(what, dx[i] - 100.0, want, 1e-10, 1e-10);
    dir += want * tx[i];
  }
  double t = __enzyme_fwddiff((void *)sumsq, x, tx, enzyme_const, w, N);
  CHECK_CLOSE("forward with tangent array vs gradient dot tangent", t, dir, RTOL_D, ATOL_D);
  for (int i = 0; i < N; i++) {
    snprintf(what, sizeof what, "primal input x[%d] unchanged", i);
    CHECK_CLOSE(what, x[i], x0[i], 0, 0);
  }
  return check_report();
}
