// A function flat at infinity (`exp(-b * b)`, `atan(b)`) of a quotient by an exact zero that a
// kept callee writes (`put_quot(b, num, z)`, z = fmax(s, 0) = 0 at s < 0), in a function that
// also passes a library call's value whose partial may be infinite (`sqrt`, `pow`, `exp`, `log`)
// to a kept callee, after the flat use or on one side of a branch before it. Reverse mode gave NaN
// in d/du and d/ds at -O0..-O3 on main 4a6d33b with -ferment-no-inline (round 33: hazard,no-inline
// seeds 3141006, 3141025, flat seed 3146005): that value is an origin of what the function
// stores, and the guards of partials that may be infinite because of a load (here `b[0]`, infinite,
// times the zero adjoint `exp'` makes) were built only where every origin comes before the
// instruction (the run-time test of the origins reloads them): elsewhere, no guard at all, and
// `0 * inf`. They now get the guard without the test there (`LoadedGuards::untested`).
// Oracles: central finite differences at s = -0.5 (z = 0 around it: the flat term is constant)
// and at s = 0.7 (nothing infinite), forward mode against reverse mode.
// CFLAGS: -mllvm -ferment-no-inline

#include "check.h"

typedef struct {
  double du, ds;
} D2;
D2 __enzyme_autodiff_d2(void *, ...) __asm__("__enzyme_autodiff");
double __enzyme_fwddiff(void *, ...);

#define NOINL __attribute__((noinline))

NOINL static void put_quot(double *b, double num, double z) {
  b[0] = num / z;
  b[1] = z;
}
NOINL static double square(double a) { return a * a; }
NOINL static double twice(double a) { return a + a; }

// the origin (sqrt) after the flat use, passed to a kept callee
static double sqrt_after(double u, double s) {
  double b[2];
  put_quot(b, 1.25 + sin(u), fmax(s, 0.0));
  return exp(-b[0] * b[0]) * (0.855 / hypot(1.0, s)) + square(sqrt(1.0 + u * u)) + s * u;
}

static double pow_after(double u, double s) {
  double b[2];
  put_quot(b, 1.25 + sin(u), fmax(s, 0.0));
  return atan(b[0]) * u + square(pow(1.5 + u * u, 0.5 * tanh(s)));
}

static double exp_after(double u, double s) {
  double b[2];
  put_quot(b, -(1.25 + cos(s)), fmax(s, 0.0));
  return u * exp(-b[0] * b[0]) + twice(exp(0.5 * u));
}

// the origin (log) on one side of a branch before the flat use: it does not dominate it
static double log_branch(double u, double s) {
  double v = 0.25 * u, b[2];
  if (u > 0.1)
    v = twice(log(2.0 + u * s));
  put_quot(b, 1.25 + sin(u), fmax(s, 0.0));
  return exp(-b[0] * b[0]) + v * s;
}

#define H 1e-6
#define CHECK_F(F, u, s)                                                                       \
  do {                                                                                         \
    D2 r_ = __enzyme_autodiff_d2((void *)F, u, s);                                             \
    double fu_ = __enzyme_fwddiff((void *)F, u, 1.0, s, 0.0);                                  \
    double fs_ = __enzyme_fwddiff((void *)F, u, 0.0, s, 1.0);                                  \
    double du_ = (F((u) + H, s) - F((u) - H, s)) / (2 * H);                                    \
    double ds_ = (F(u, (s) + H) - F(u, (s) - H)) / (2 * H);                                    \
    CHECK_CLOSE_AT("reverse d/du " #F, s, r_.du, du_, RTOL_FD, ATOL_FD);                       \
    CHECK_CLOSE_AT("reverse d/ds " #F, s, r_.ds, ds_, RTOL_FD, ATOL_FD);                       \
    CHECK_CLOSE_AT("forward d/du " #F, s, fu_, du_, RTOL_FD, ATOL_FD);                         \
    CHECK_CLOSE_AT("forward d/ds " #F, s, fs_, ds_, RTOL_FD, ATOL_FD);                         \
    CHECK_CLOSE_AT("forward vs reverse d/du " #F, s, fu_, r_.du, RTOL_D, ATOL_D);              \
    CHECK_CLOSE_AT("forward vs reverse d/ds " #F, s, fs_, r_.ds, RTOL_D, ATOL_D);              \
  } while (0)

int main(void) {
  static const double us[] = {0.6, -0.4};
  static const double ss[] = {-0.5, 0.7};
  for (unsigned i = 0; i < COUNT_OF(us); i++)
    for (unsigned k = 0; k < COUNT_OF(ss); k++) {
      CHECK_F(sqrt_after, us[i], ss[k]);
      CHECK_F(pow_after, us[i], ss[k]);
      CHECK_F(exp_after, us[i], ss[k]);
      CHECK_F(log_branch, us[i], ss[k]);
    }
  return check_report();
}
