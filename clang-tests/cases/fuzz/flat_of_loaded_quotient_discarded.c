// A function flat at infinity of a product with a quotient by an exact zero read back from an
// array (`exp(-b * b)`, `exp(b * s)`, `tanh(b * b)` with `b = hb[j] = num / 0`), whose result
// reaches a value a `select` may discard (`fmax(erf(.. sin(u) ..), 0)`): the flat function's
// partial makes the product's adjoint an exact zero while the discarded chain's first adjoint is
// not, and the product's partial `b` is infinite there. Reverse mode gave NaN in d/ds at -O1..-O3
// on main d686887, with and without -ferment-no-inline (round 32: hazard,no-inline seed 3132007,
// fuzz/found/hazard_noinline_3132007.c, reduced by hand): the product's guard did not keep its
// own test (loads count as finite for `zeroed_by_partials`), and `shim::share_guard_tests` gave
// it the test of the chain's first adjoint. Oracles: central finite differences (nothing is
// discontinuous near the points: the infinite quotients are infinite on both sides), and
// forward mode against reverse mode.
#include "check.h"

double __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);
extern int enzyme_const;

#define N 6

static double exp_square(int n, double s) {
  double u = 0.3, hb[N];
  for (int i = 0; i < n; i++)
    hb[i] = (1.25 + sin(s)) / (double)((i + 2) % 3);
  for (int j = 0; j < n; j++)
    u = -0.434 * u + 0.385 * exp(-hb[j] * hb[j]);
  double hz = fmax(erf(-0.465 / (2.0 + sin(u)) - s), 0.0);
  return s + u + hz;
}

// b * s at s < 0: -inf, s's partial b infinite.
static double exp_scaled(int n, double s) {
  double u = 0.3, hb[N];
  for (int i = 0; i < n; i++)
    hb[i] = (1.25 + s * s) / (double)(i % 2);
  for (int j = 0; j < n; j++)
    u = 0.5 * u + exp(hb[j] * s);
  double hz = fmax(erf(0.25 / (2.0 + sin(u)) - s), 0.0);
  return u + hz;
}

static double tanh_square(int n, double s) {
  double u = 0.3, hb[N];
  for (int i = 0; i < n; i++)
    hb[i] = (0.5 + cos(s)) / (double)((i + 1) % 3);
  for (int j = 0; j < n; j++)
    u = 0.25 * u + tanh(hb[j] * hb[j]) * s;
  double hz = fmax(erf(-0.465 / (2.0 + sin(u)) - s), 0.0);
  return s * u + hz;
}

#define CHECK_F(F, s)                                                                          \
  do {                                                                                         \
    double r_ = __enzyme_autodiff((void *)F, enzyme_const, N, s);                              \
    double f_ = __enzyme_fwddiff((void *)F, enzyme_const, N, s, 1.0);                          \
    double fd_ = (F(N, (s) + 1e-6) - F(N, (s) - 1e-6)) / 2e-6;                                 \
    CHECK_CLOSE_AT("reverse " #F, s, r_, fd_, RTOL_FD, ATOL_FD);                               \
    CHECK_CLOSE_AT("forward " #F, s, f_, fd_, RTOL_FD, ATOL_FD);                               \
    CHECK_CLOSE_AT("forward vs reverse " #F, s, f_, r_, RTOL_D, ATOL_D);                       \
  } while (0)

int main(void) {
  static const double ss[] = {-0.829, -0.4, -1.3};
  for (unsigned k = 0; k < COUNT_OF(ss); k++) {
    CHECK_F(exp_square, ss[k]);
    CHECK_F(exp_scaled, ss[k]);
    CHECK_F(tanh_square, ss[k]);
  }
  return check_report();
}
