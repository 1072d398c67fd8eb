// A kept callee (-ferment-no-inline) whose value is flat at infinity of a quotient by an exact
// zero, `exp(-a / z)`, `atan(-a / z)`, at z = 0: the flat function's partial (exp' = 0, atan' = 0)
// makes the quotient's adjoint an exact zero while the caller's adjoint is not, and the
// numerator's term `(1 / z) * d` must keep testing that adjoint `d` (`rules::keep_own_test`).
// Reverse mode gave NaN in d/du at -O1..-O3 on main d686887 (round 32, found while writing
// flat_of_infinite_tangent_noinline.c; was fuzz/found/kept_callee_flat_exp_reverse_noinline.c):
// instcombine rebuilt the numerator's guard where it negated or scaled it (`-select(t, 0, p d)`
// is `select(t, -0, -(p d))`) without its mark, and `shim::share_guard_tests` then gave it the
// test of the caller's adjoint. The variants: the numerator negated, scaled, both, under atan,
// with a constant (int) denominator (the numerator's guard the only marked one), and the
// exponent's quotient returned. Oracles: the analytic derivative at s = -0.5 (every term of the
// flat function vanishes: b[0] = 0 or -pi/2 for every u), central finite differences at s = 0.7
// (nothing infinite), split mode against reverse mode.
// CFLAGS: -mllvm -ferment-no-inline
#include "check.h"

extern int enzyme_out;
typedef struct {
  double du, ds;
} D2;
D2 __enzyme_autodiff_d2(void *, ...) __asm__("__enzyme_autodiff");
void *__enzyme_augmentfwd(void *, ...);
D2 __enzyme_reverse_d2(void *, ...) __asm__("__enzyme_reverse");

#define NOINL __attribute__((noinline))

NOINL static void put_exp(double *b, double a, double z) { b[0] = exp(-a / z); }
static double neg_exp(double u, double s) {
  double b[1];
  put_exp(b, 1.0 + u * u, fmax(s, 0.0));
  return u * u + u * b[0];
}

NOINL static void put_exp_scaled(double *b, double a, double z) { b[0] = exp(a / z); }
static double scaled_exp(double u, double s) {
  double b[1];
  put_exp_scaled(b, -3.0 * (1.0 + u * u), fmax(s, 0.0));
  return u * u + u * b[0];
}

NOINL static void put_exp_neg_scaled(double *b, double a, double z) { b[0] = exp(-2.5 * a / z); }
static double neg_scaled_exp(double u, double s) {
  double b[1];
  put_exp_neg_scaled(b, 1.0 + u * u, fmax(s, 0.0));
  return u * u + u * b[0];
}

NOINL static void put_atan(double *b, double a, double z) { b[0] = atan(-a / z); }
static double neg_atan(double u, double s) {
  double b[1];
  put_atan(b, 0.5 + u * u, fmax(s, 0.0));
  return u * u + u * b[0];
}

NOINL static void put_exp_int(double *b, double a, int k) { b[0] = exp(-a / (double)k); }
static double int_denominator_exp(double u, double s) {
  double b[1];
  put_exp_int(b, 1.0 + u * u, s < 0 ? 0 : 1);
  return u * u + u * b[0];
}

NOINL static double exp_neg_ratio(double a, double z) { return exp(-a / z); }
static double returned_exp(double u, double s) {
  return u * u + u * exp_neg_ratio(1.0 + u * u, fmax(s, 0.0));
}

#define CHECK_AT(F, u, s, wu, ws)                                                              \
  do {                                                                                         \
    D2 r_ = __enzyme_autodiff_d2((void *)F, u, s);                                             \
    void *tape_ = __enzyme_augmentfwd((void *)F, enzyme_out, u, enzyme_out, s);                \
    D2 sp_ = __enzyme_reverse_d2((void *)F, enzyme_out, u, enzyme_out, s, 1.0, tape_);         \
    CHECK_CLOSE_AT("reverse " #F " d/du", s, r_.du, wu, RTOL_FD, ATOL_FD);                     \
    CHECK_CLOSE_AT("reverse " #F " d/ds", s, r_.ds, ws, RTOL_FD, ATOL_FD);                     \
    CHECK_CLOSE_AT("split " #F " d/du", s, sp_.du, r_.du, RTOL_D, ATOL_D);                     \
    CHECK_CLOSE_AT("split " #F " d/ds", s, sp_.ds, r_.ds, RTOL_D, ATOL_D);                     \
  } while (0)

#define FD_U(F, u, s) ((F((u) + 1e-6, s) - F((u) - 1e-6, s)) / 2e-6)
#define FD_S(F, u, s) ((F(u, (s) + 1e-6) - F(u, (s) - 1e-6)) / 2e-6)
#define CHECK_ALL(F, wu0)                                                                      \
  do {                                                                                         \
    CHECK_AT(F, u, -0.5, wu0, 0.0);                                                            \
    CHECK_AT(F, u, 0.7, FD_U(F, u, 0.7), FD_S(F, u, 0.7));                                     \
  } while (0)

int main(void) {
  static const double us[] = {0.3, -1.25, 2.0};
  for (unsigned k = 0; k < COUNT_OF(us); k++) {
    double u = us[k];
    CHECK_ALL(neg_exp, 2.0 * u);
    CHECK_ALL(scaled_exp, 2.0 * u);
    CHECK_ALL(neg_scaled_exp, 2.0 * u);
    CHECK_ALL(neg_atan, 2.0 * u - M_PI / 2);
    CHECK_ALL(returned_exp, 2.0 * u);
    // At s = 0.7 the denominator is 1 (an int step): finite differences in s are 0.
    CHECK_ALL(int_denominator_exp, 2.0 * u);
  }
  return check_report();
}
