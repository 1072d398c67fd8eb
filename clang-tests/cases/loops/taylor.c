// sum_{i=1..N} x^i / i for N = 10^6 (the Taylor series of -log(1-x)): a long loop whose reverse
// sweep needs a million cached or recomputed values. Analytic derivative sum x^(i-1) =
// (1 - x^N) / (1 - x), and exactly N at x = 1. Two forms: pow(x, i) and a running power.
#include "check.h"

double __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);

#define NT 1000000L

double taylor_pow(double x, long n) {
  double s = 0.0;
  for (long i = 1; i <= n; i++)
    s += pow(x, (double)i) / (double)i;
  return s;
}
double taylor_run(double x, long n) {
  double s = 0.0, p = 1.0;
  for (long i = 1; i <= n; i++) {
    p *= x;
    s += p / (double)i;
  }
  return s;
}

int main(void) {
  static const double xs[] = {-0.7, 0.5, 0.9, 0.999, 1.0};
  for (unsigned k = 0; k < COUNT_OF(xs); k++) {
    double x = xs[k];
    double want = x == 1.0 ? (double)NT : (1.0 - pow(x, (double)NT)) / (1.0 - x);
    CHECK_CLOSE_AT("reverse taylor (pow)", x, __enzyme_autodiff((void *)taylor_pow, x, NT), want, 1e-9, 1e-12);
    CHECK_CLOSE_AT("reverse taylor (running power)", x, __enzyme_autodiff((void *)taylor_run, x, NT), want, 1e-9, 1e-12);
    CHECK_CLOSE_AT("forward taylor (running power)", x, __enzyme_fwddiff((void *)taylor_run, x, 1.0, NT), want, 1e-9, 1e-12);
    if (k == 1)
      CHECK_CLOSE_AT("forward taylor (pow)", x, __enzyme_fwddiff((void *)taylor_pow, x, 1.0, NT), want, 1e-9, 1e-12);
  }
  CHECK_CLOSE("reverse taylor, n = 0", __enzyme_autodiff((void *)taylor_run, 0.5, 0L), 0.0, 0, 0);
  return check_report();
}
