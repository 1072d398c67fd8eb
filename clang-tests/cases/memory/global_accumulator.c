// An active global accumulator (issue 5): data flowing through a mutable global inside the
// differentiated function is differentiated through a shadow global that ferment creates; the
// global's value on entry is a constant. Checked against the analytic derivative and against
// central finite differences of a wrapper that resets the global, in reverse and forward mode.
// RUN: clang opt
#include "check.h"

double __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);

double acc;
double hist[4];

static double f(double x, double y) {
  acc = 0.0;
  for (int i = 0; i < 4; i++) {
    acc += x * x * (i + 1);
    hist[i] = acc * y;
  }
  double s = 0.0;
  for (int i = 0; i < 4; i++)
    s += hist[i] * hist[i];
  return s + acc * 2.0;
}

static double f_x(double x) { return f(x, 0.7); }

int main(void) {
  const double xs[] = {-1.2, 0.4, 1.5};
  const double y = 0.7;
  for (int k = 0; k < 3; k++) {
    double x = xs[k];
    /* analytic: acc_i = x^2 * T_i with T_i = 1+..+(i+1); hist_i = acc_i y */
    double want = 0.0;
    for (int i = 0; i < 4; i++) {
      double t = (i + 1) * (i + 2) / 2.0;
      want += 2.0 * (x * x * t * y) * (2.0 * x * t * y);
    }
    want += 2.0 * (2.0 * x * 10.0);
    double rev = __enzyme_autodiff((void *)f, x, enzyme_const, y);
    CHECK_CLOSE("reverse df/dx", rev, want, 1e-10, 1e-12);
    CHECK_CLOSE("reverse vs FD", rev, fd1(f_x, x), 1e-6, 1e-7);
    double fwd = __enzyme_fwddiff((void *)f, x, 1.0, enzyme_const, y);
    CHECK_CLOSE("forward df/dx", fwd, want, 1e-10, 1e-12);
    /* repeated calls: the shadow global starts from zero every time */
    double again = __enzyme_autodiff((void *)f, x, enzyme_const, y);
    CHECK_CLOSE("reverse again", again, want, 1e-10, 1e-12);
  }
  return check_report();
}
