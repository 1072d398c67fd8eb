// A scratch buffer malloc'd inside the function (runtime size), filled, reduced and freed:
// f = sqrt(sum_i t_i^2), t_i = exp(0.3 x_i) * x_{(i+1) % n}. Its shadow must be allocated and
// zeroed by the derivative and the primal free deferred until the reverse sweep is done.
// RUN: clang opt
#include "check.h"

void __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);

double scratch(const double *x, int n) {
  double *t = (double *)malloc(sizeof(double) * (size_t)n);
  for (int i = 0; i < n; i++)
    t[i] = exp(0.3 * x[i]) * x[(i + 1) % n];
  double s = 0.0;
  for (int i = 0; i < n; i++)
    s += t[i] * t[i];
  free(t);
  return sqrt(s);
}
static double scratch_packed(const double *x, const void *ctx) {
  return scratch(x, *(const int *)ctx);
}

#define NMAX 40

int main(void) {
  static const int ns[] = {1, 3, 10, NMAX};
  double x[NMAX];
  unsigned s = 99;
  for (int i = 0; i < NMAX; i++)
    x[i] = prand(&s) + 0.2;
  char what[128];
  for (unsigned c = 0; c < COUNT_OF(ns); c++) {
    int n = ns[c];
    double dx[NMAX] = {0}, want[NMAX] = {0}, t[NMAX];
    double ss = 0.0;
    for (int i = 0; i < n; i++) {
      t[i] = exp(0.3 * x[i]) * x[(i + 1) % n];
      ss += t[i] * t[i];
    }
    double f = sqrt(ss);
    for (int i = 0; i < n; i++) {
      double dt = t[i] / f; // df/dt_i
      want[i] += dt * 0.3 * t[i];
      want[(i + 1) % n] += dt * exp(0.3 * x[i]);
    }
    __enzyme_autodiff((void *)scratch, x, dx, n);
    snprintf(what, sizeof what, "reverse n=%d", n);
    CHECK_ARRAY_CLOSE(what, dx, want, NMAX, RTOL_D, ATOL_D);
    snprintf(what, sizeof what, "oracle n=%d", n);
    CHECK_GRAD_FD(what, scratch_packed, &n, x, n, want, RTOL_FD, ATOL_FD);
    double tx[NMAX];
    for (int i = 0; i < NMAX; i++)
      tx[i] = prand(&s);
    snprintf(what, sizeof what, "forward n=%d vs gradient . direction", n);
    CHECK_CLOSE(what, __enzyme_fwddiff((void *)scratch, x, tx, n), dotv(want, tx, n), RTOL_D, ATOL_D);
  }
  return check_report();
}
