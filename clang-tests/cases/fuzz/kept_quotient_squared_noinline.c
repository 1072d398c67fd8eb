// A function flat at infinity of the square of a quotient by an exact zero that a kept callee
// returns (`q = ratio(a, z)`, `exp(-q * q)`, `pow(c, -q * q)`, `tanh(q * q)`, z = fmax(s, 0) = 0
// at s < 0, or every other iteration of a loop). Reverse mode gave NaN at -O0..-O3 on main 4a6d33b
// with -ferment-no-inline (round 33: flat,no-inline seed 3147039; the same with `atan(q)` or
// `exp(-q)` was right): the strong zero of `q * q`'s partials guards each factor's product with
// the zero adjoint `exp'` makes where the other factor may be infinite, but the reverse sweep had
// replaced the call by its augmented call's result, which the set of values that may be infinite
// did not hold, so one of the two products was `0 * inf`. The set now takes the result in the
// call's place (`NonfinitePartials::rename`). Oracles: central finite differences at s = -0.5
// (z = 0 around it: the flat term is constant) and s = 0.7 (nothing infinite), forward mode
// against reverse mode.
// CFLAGS: -mllvm -ferment-no-inline

#include "check.h"

typedef struct {
  double du, ds;
} D2;
D2 __enzyme_autodiff_d2(void *, ...) __asm__("__enzyme_autodiff");
double __enzyme_fwddiff(void *, ...);

#define NOINL __attribute__((noinline))

NOINL static double ratio(double num, double z) { return num / z; }

static double exp_square(double u, double s) {
  double q = ratio(1.25 + sin(u), fmax(s, 0.0));
  return exp(-q * q) + u * s;
}

static double pow_square(double u, double s) {
  double q = ratio(-(1.25 + sin(u * s)), fmax(s, 0.0));
  return 0.7 * pow(2.068, -q * q) + u;
}

static double tanh_square(double u, double s) {
  double q = ratio(0.5 + u * u, fmax(s, 0.0));
  return tanh(q * q) * s + u * u;
}

// in a loop: the divisor is 0 on every other iteration
static double exp_square_loop(double u, double s) {
  double acc = 0.0;
  for (int i = 3; i >= 0; i--) {
    double q = ratio(1.25 + sin(u * (0.3 + 0.1 * i)), (double)((i + 1) % 2) * (1.5 + s * s));
    acc = 0.5 * acc + 0.2 * exp(-q * q) * (0.7 + s);
  }
  return acc;
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
      CHECK_F(exp_square, us[i], ss[k]);
      CHECK_F(pow_square, us[i], ss[k]);
      CHECK_F(tanh_square, us[i], ss[k]);
      CHECK_F(exp_square_loop, us[i], ss[k]);
    }
  return check_report();
}
