// CFLAGS: -std=c++17
// Exceptions: a try/catch inside the differentiated function around calls that could throw
// (std::vector growth, a helper that throws on bad input, an operator new[]), evaluated where
// nothing is thrown and where the helper throws and the function catches: the catch path
// returns normally, so the reverse sweep walks back the path the forward sweep took, landing
// pad included. Reverse and forward mode, checked against analytic gradients.
#include "check.h"
#include <cmath>
#include <stdexcept>
#include <vector>

extern "C" double __enzyme_autodiff(void *, ...);
extern "C" double __enzyme_fwddiff(void *, ...);

__attribute__((noinline)) double checked_log(double v) {
  if (!(v > 0))
    throw std::domain_error("log of a non-positive number");
  return std::log(v);
}

// sum_i log(x_i) * x_i, or 2 x_0 x_1 if some x_i <= 0
double guarded(const double *x, int n) {
  try {
    std::vector<double> logs;
    for (int i = 0; i < n; i++)
      logs.push_back(checked_log(x[i]));
    double s = 0;
    for (int i = 0; i < n; i++)
      s += logs[i] * x[i];
    return s;
  } catch (const std::domain_error &) {
    return 2 * x[0] * x[1];
  }
}

// a catch that falls through to code after the try: s * x_0 where s = sum x_i^2
double fallthrough(const double *x, int n) {
  double s = 0;
  try {
    double *tmp = new double[n];
    for (int i = 0; i < n; i++)
      tmp[i] = x[i] * x[i];
    for (int i = 0; i < n; i++)
      s += tmp[i];
    delete[] tmp;
  } catch (...) {
    s = 0;
  }
  return s * x[0];
}

int main() {
  const int n = 4;
  double x[n] = {0.3, 0.5, 1.7, 2.5};
  double bad[n] = {0.3, -0.5, 1.7, 2.5};
  CHECK_CLOSE("primal catches", guarded(bad, n), 2 * bad[0] * bad[1], 0, 0);
  double dx[n] = {0}, dz[n] = {0};
  __enzyme_autodiff((void *)guarded, enzyme_dup, x, dx, enzyme_const, n);
  __enzyme_autodiff((void *)fallthrough, enzyme_dup, x, dz, enzyme_const, n);
  double s = 0;
  for (int i = 0; i < n; i++)
    s += x[i] * x[i];
  for (int i = 0; i < n; i++) {
    CHECK_CLOSE_AT("reverse d guarded/dx_i", x[i], dx[i], std::log(x[i]) + 1, RTOL_D, ATOL_D);
    double want = 2 * x[i] * x[0] + (i == 0 ? s : 0);
    CHECK_CLOSE_AT("reverse d fallthrough/dx_i", x[i], dz[i], want, RTOL_D, ATOL_D);
    double t[n] = {0};
    t[i] = 1;
    double fg = __enzyme_fwddiff((void *)guarded, enzyme_dup, x, t, enzyme_const, n);
    double ff = __enzyme_fwddiff((void *)fallthrough, enzyme_dup, x, t, enzyme_const, n);
    CHECK_CLOSE_AT("forward d guarded/dx_i", x[i], fg, std::log(x[i]) + 1, RTOL_D, ATOL_D);
    CHECK_CLOSE_AT("forward d fallthrough/dx_i", x[i], ff, want, RTOL_D, ATOL_D);
  }
  // The exception is thrown and caught inside the derivative.
  double db[n] = {0};
  __enzyme_autodiff((void *)guarded, enzyme_dup, bad, db, enzyme_const, n);
  double want_bad[n] = {2 * bad[1], 2 * bad[0], 0, 0};
  for (int i = 0; i < n; i++) {
    CHECK_CLOSE_AT("reverse d guarded/dx_i after a caught exception", i, db[i], want_bad[i],
                   RTOL_D, ATOL_D);
    double t[n] = {0};
    t[i] = 1;
    double fg = __enzyme_fwddiff((void *)guarded, enzyme_dup, bad, t, enzyme_const, n);
    CHECK_CLOSE_AT("forward d guarded/dx_i after a caught exception", i, fg, want_bad[i], RTOL_D,
                   ATOL_D);
  }
  return check_report();
}
