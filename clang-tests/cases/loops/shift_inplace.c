// An in-place update reading the next (not yet updated) element: u_i <- u_i + nu u_{i+1} for
// i = 1..n-2. At -O2 the loop vectorizer turns this into <2 x double> loads/stores at 8-byte
// aligned addresses with shufflevectors and a vector phi (the opt-O2 config differentiates that
// vectorized IR). Reverse with the shadow of u as the seed w: du_i = w_i + nu w_{i-1} (for
// 2 <= i <= n-1), du_0 = w_0, du_1 = w_1; d nu = sum_{i=1..n-2} w_i u_{i+1}.
// RUN: clang opt
#include "check.h"

double __enzyme_autodiff(void *, ...);
void __enzyme_fwddiff(void *, ...);

void shift(double *u, int n, double nu) {
  for (int i = 1; i < n - 1; i++)
    u[i] = u[i] + nu * u[i + 1];
}

#define NMAX 37

int main(void) {
  static const int ns[] = {2, 3, 8, NMAX};
  const double nu = 0.5;
  char what[128];
  for (unsigned c = 0; c < COUNT_OF(ns); c++) {
    int n = ns[c];
    double u0[NMAX], u[NMAX], du[NMAX], w[NMAX];
    for (int i = 0; i < n; i++) {
      u0[i] = u[i] = 1.0 + i;
      w[i] = du[i] = 1.0 + 0.1 * i;
    }
    double dnu = __enzyme_autodiff((void *)shift, u, du, n, nu);
    double wnu = 0.0;
    for (int i = 1; i < n - 1; i++)
      wnu += w[i] * u0[i + 1];
    snprintf(what, sizeof what, "reverse d nu n=%d", n);
    CHECK_CLOSE(what, dnu, wnu, RTOL_D, ATOL_D);
    for (int i = 0; i < n; i++) {
      double want = w[i] + (i >= 2 ? nu * w[i - 1] : 0.0);
      snprintf(what, sizeof what, "reverse du[%d] n=%d", i, n);
      CHECK_CLOSE(what, du[i], want, RTOL_D, ATOL_D);
      snprintf(what, sizeof what, "primal u[%d] n=%d", i, n);
      CHECK_CLOSE(what, u[i], (i >= 1 && i < n - 1) ? u0[i] + nu * u0[i + 1] : u0[i], RTOL_D, ATOL_D);
    }
    double tu[NMAX];
    for (int i = 0; i < n; i++) {
      u[i] = u0[i];
      tu[i] = 0.5 - 0.05 * i;
    }
    double t0[NMAX];
    memcpy(t0, tu, sizeof t0);
    __enzyme_fwddiff((void *)shift, u, tu, n, nu, 2.0); // d nu = 2
    for (int i = 0; i < n; i++) {
      double want = (i >= 1 && i < n - 1) ? t0[i] + nu * t0[i + 1] + 2.0 * u0[i + 1] : t0[i];
      snprintf(what, sizeof what, "forward tu[%d] n=%d", i, n);
      CHECK_CLOSE(what, tu[i], want, RTOL_D, ATOL_D);
    }
  }
  return check_report();
}
