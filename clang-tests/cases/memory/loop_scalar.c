// Loops on scalars with a data-dependent trip count (n is a constant integer argument): the
// reverse sweep must replay the iterations in reverse with the cached values of each iteration.
#include "check.h"

double __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);

// x_{k+1} = x_k - 0.1 * sin(x_k) * x_k; returns x_n
static double iterate(double x, int n) {
  for (int k = 0; k < n; k++)
    x = x - 0.1 * sin(x) * x;
  return x;
}
static double iterate_deriv(double x, int n) {
  double d = 1.0;
  for (int k = 0; k < n; k++) {
    d = d * (1.0 - 0.1 * (cos(x) * x + sin(x)));
    x = x - 0.1 * sin(x) * x;
  }
  return d;
}
// product of (1 + a*i) over i < n
static double prod(double a, int n) {
  double p = 1.0;
  for (int i = 1; i <= n; i++)
    p *= 1.0 + a * i;
  return p;
}

int main(void) {
  static const double xs[] = {-1.3, 0.4, 2.1};
  static const int ns[] = {0, 1, 3, 17, 100};
  char what[128];
  for (unsigned i = 0; i < COUNT_OF(xs); i++)
    for (unsigned j = 0; j < COUNT_OF(ns); j++) {
      double x = xs[i];
      int n = ns[j];
      double want = iterate_deriv(x, n);
      double h = 1e-6, fd = (iterate(x + h, n) - iterate(x - h, n)) / (2 * h);
      snprintf(what, sizeof what, "oracle: iterate' vs finite differences n=%d", n);
      CHECK_CLOSE_AT(what, x, want, fd, RTOL_FD, ATOL_FD);
      snprintf(what, sizeof what, "reverse iterate n=%d", n);
      CHECK_CLOSE_AT(what, x, __enzyme_autodiff((void *)iterate, x, n), want, 1e-9, 1e-12);
      snprintf(what, sizeof what, "forward iterate n=%d", n);
      CHECK_CLOSE_AT(what, x, __enzyme_fwddiff((void *)iterate, x, 1.0, n), want, 1e-9, 1e-12);
      double a = x * 0.1;
      double s = 0.0;
      for (int k = 1; k <= n; k++)
        s += k / (1.0 + a * k);
      double wp = prod(a, n) * s;
      snprintf(what, sizeof what, "reverse prod n=%d", n);
      CHECK_CLOSE_AT(what, a, __enzyme_autodiff((void *)prod, a, n), wp, 1e-9, 1e-12);
    }
  return check_report();
}
