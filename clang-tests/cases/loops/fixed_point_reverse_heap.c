// Reverse mode of __enzyme_fixed_point whose state lives on the heap and is freed before the
// function returns: the forward sweep frees it, so the adjoint passes must not touch it (they
// run in a workspace; valgrind-O2 checks that no freed memory is read). The state z (3 values)
// solves z_k = 0.4 cos(z_k + z_{k+1}) + p_k; L = sum_k (k + 1) z_k^2.
// Oracles: central finite differences of the primal (the loop iterated to machine precision),
// forward mode (its tangent iteration) against the same differences.
#include "check.h"
#include <enzyme/fixed_point.h>
#include <stdint.h>
#include <stdlib.h>

void __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);

static int step(int64_t i, double *z, const double *p, int n) {
  double d = 0;
  for (int k = 0; k < n; k++) {
    double t = 0.4 * cos(z[k] + z[(k + 1) % n]) + p[k];
    d = fmax(d, fabs(t - z[k]));
    z[k] = t;
  }
  return d > 0 && i < 500;
}

double f(const double *p, int n) {
  double *z = calloc((size_t)n, sizeof(double));
  __enzyme_fixed_point((void *)step, enzyme_fp_state, z, (int64_t)(n * sizeof(double)),
                       enzyme_fp_reduction, 1e-24, z, p, n);
  double r = 0;
  for (int k = 0; k < n; k++)
    r += z[k] * z[k] * (k + 1);
  free(z);
  return r;
}

static double packed(const double *p, const void *ctx) {
  (void)ctx;
  return f(p, 3);
}

int main(void) {
  double p[3] = {0.1, 0.3, -0.2}, dp[3] = {0, 0, 0};
  __enzyme_autodiff((void *)f, p, dp, 3);
  CHECK_GRAD_FD("reverse, heap state freed in the function, vs finite differences", packed, NULL,
                p, 3, dp, RTOL_FD, ATOL_FD);
  double t[3] = {1.0, -0.5, 2.0};
  CHECK_CLOSE("forward vs reverse", __enzyme_fwddiff((void *)f, p, t, 3), dotv(dp, t, 3), 1e-9,
              1e-12);
  return check_report();
}
