// CFLAGS: -std=c++17 -mllvm -ferment-no-inline
// A call that stays a call (-ferment-no-inline) is an invoke inside a try block, and it throws:
// the function catches the exception and returns normally. The reverse sweep walks back from
// the landing pad into the invoke's block past the invoke, which did not complete (its reverse,
// with a tape it never returned, must not run). Reverse and forward mode, checked against the
// analytic gradient of the catch path. (An exception that leaves an augmented forward function
// leaks that call's tape, so this case is not run under valgrind.)
#include "check.h"
#include <cmath>
#include <stdexcept>

extern "C" double __enzyme_autodiff(void *, ...);
extern "C" double __enzyme_fwddiff(void *, ...);

double checked_log(double v) {
  if (!(v > 0))
    throw std::domain_error("log of a non-positive number");
  return std::log(v);
}

// sum_i log(x_i) * x_i, or 2 x_0 x_1 if some x_i <= 0
double guarded(const double *x, int n) {
  try {
    double s = 0;
    for (int i = 0; i < n; i++)
      s += checked_log(x[i]) * x[i];
    return s;
  } catch (const std::domain_error &) {
    return 2 * x[0] * x[1];
  }
}

int main() {
  const int n = 4;
  double good[n] = {0.3, 0.5, 1.7, 2.5}, bad[n] = {0.3, -0.5, 1.7, 2.5};
  double dg[n] = {0}, db[n] = {0};
  __enzyme_autodiff((void *)guarded, enzyme_dup, good, dg, enzyme_const, n);
  __enzyme_autodiff((void *)guarded, enzyme_dup, bad, db, enzyme_const, n);
  double want_bad[n] = {2 * bad[1], 2 * bad[0], 0, 0};
  for (int i = 0; i < n; i++) {
    double want_good = std::log(good[i]) + 1;
    CHECK_CLOSE_AT("reverse, nothing thrown", i, dg[i], want_good, RTOL_D, ATOL_D);
    CHECK_CLOSE_AT("reverse, thrown and caught", i, db[i], want_bad[i], RTOL_D, ATOL_D);
    double t[n] = {0};
    t[i] = 1;
    double fg = __enzyme_fwddiff((void *)guarded, enzyme_dup, good, t, enzyme_const, n);
    double fb = __enzyme_fwddiff((void *)guarded, enzyme_dup, bad, t, enzyme_const, n);
    CHECK_CLOSE_AT("forward, nothing thrown", i, fg, want_good, RTOL_D, ATOL_D);
    CHECK_CLOSE_AT("forward, thrown and caught", i, fb, want_bad[i], RTOL_D, ATOL_D);
  }
  return check_report();
}
