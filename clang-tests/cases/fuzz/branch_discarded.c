// A value computed before a branch and used only on one side of it (`r = a / z; if
// (isfinite(r)) y = tanh(r);`, a loop that may run zero times): where the other side is
// taken, the value's adjoint is zero while its partials are infinite (z = 0). Reverse mode
// guarded such products only for values a `select` or min/max discards, not for values a
// branch discards, so `0 * inf` leaked NaN into the gradient at every level (forward mode was
// right). Found while extending ferment-fuzz (the guard variant). Oracles: the analytic
// derivative where the guard discards (the discarded side does not contribute), central
// finite differences elsewhere, forward mode against reverse mode.
#include "check.h"

typedef struct { double dx, da; } D2;
D2 __enzyme_autodiff_d2(void *, double, double);
double __enzyme_fwddiff(void *, ...);
double __enzyme_autodiff(void *, ...);
extern int enzyme_const;

// isfinite guard around a call (tanh may set errno, so it is not speculated: a branch)
static double isf(double x, double a) {
  double z = fmax(x, 0.0);
  double r = exp(a) / z;
  return isfinite(r) ? tanh(r) : a * a;
}
// a log computed before the test that discards it
static double logb_(double x, double a) {
  double z = fmax(x, 0.0);
  double l = a * log(z);
  double y;
  if (z > 0.0)
    y = tanh(l) + l * z;
  else
    y = a * x;
  return y;
}
// a quotient used only inside a loop that runs n times (n = 0: discarded)
static double nloop(double x, double a, int n) {
  double z = fmax(x, 0.0);
  double r = a / z;
  double s = a * x;
  for (int i = 0; i < n; i++)
    s += tanh(r * (i + 1));
  return s;
}
static double nloop0(double x, double a) { return nloop(x, a, 0); }
static double nloop2(double x, double a) { return nloop(x, a, 2); }
// the quotient stored through a pointer on one side only
static double outp(double x, double a, double *out) {
  double z = fdim(x, 0.25);
  double q = (a + 1.0) / z;
  if (z != 0.0)
    *out = sin(q);
  else
    *out = a;
  return cos(a) * x;
}
static double outw(double x, double a) {
  double o;
  double y = outp(x, a, &o);
  return y + 2.0 * o;
}

#define FD_X(F, x, a) ((F((x) + 1e-6, a) - F((x) - 1e-6, a)) / 2e-6)
#define FD_A(F, x, a) ((F(x, (a) + 1e-6) - F(x, (a) - 1e-6)) / 2e-6)

#define CHECK_AT(F, x, a, wx, wa)                                                              \
  do {                                                                                         \
    D2 r_ = __enzyme_autodiff_d2((void *)F, x, a);                                             \
    double fx_ = __enzyme_fwddiff((void *)F, x, 1.0, a, 0.0);                                  \
    double fa_ = __enzyme_fwddiff((void *)F, x, 0.0, a, 1.0);                                  \
    CHECK_CLOSE_AT("reverse " #F " d/dx", x, r_.dx, wx, RTOL_FD, ATOL_FD);                     \
    CHECK_CLOSE_AT("reverse " #F " d/da", x, r_.da, wa, RTOL_FD, ATOL_FD);                     \
    CHECK_CLOSE_AT("forward " #F " d/dx", x, fx_, r_.dx, RTOL_D, ATOL_D);                      \
    CHECK_CLOSE_AT("forward " #F " d/da", x, fa_, r_.da, RTOL_D, ATOL_D);                      \
    CHECK_CLOSE_AT("reverse " #F " d/da, a alone", x,                                          \
                   __enzyme_autodiff((void *)F, enzyme_const, x, a), wa, RTOL_FD, ATOL_FD);    \
  } while (0)

int main(void) {
  static const double as[] = {0.3, -1.25, 2.0};
  for (unsigned k = 0; k < COUNT_OF(as); k++) {
    double a = as[k];
    // Discarded sides: analytic derivatives.
    CHECK_AT(isf, -0.5, a, 0.0, 2.0 * a);
    CHECK_AT(logb_, -0.5, a, a, -0.5);
    CHECK_AT(nloop0, -0.5, a, a, -0.5);
    CHECK_AT(outw, 0.125, a, cos(a), -sin(a) * 0.125 + 2.0);
    // Taken sides: finite differences.
    CHECK_AT(isf, 0.7, a, FD_X(isf, 0.7, a), FD_A(isf, 0.7, a));
    CHECK_AT(logb_, 0.7, a, FD_X(logb_, 0.7, a), FD_A(logb_, 0.7, a));
    CHECK_AT(nloop2, 0.7, a, FD_X(nloop2, 0.7, a), FD_A(nloop2, 0.7, a));
    CHECK_AT(outw, 0.7, a, FD_X(outw, 0.7, a), FD_A(outw, 0.7, a));
  }
  return check_report();
}
