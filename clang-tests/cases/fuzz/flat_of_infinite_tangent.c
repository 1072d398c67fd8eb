// A function flat at infinity (`exp(-q)`, `atan(q)`, `tanh(q)`, `erf(q)`) of a quotient `q = a / z`
// by an exact zero whose numerator is active: at z = 0 (z = fmax(s, 0), s < 0) q is infinite for
// every a > 0, so the function is constant there and d/du takes nothing from it, but q's tangent
// is `da / z = inf` and the flat function's partial an exact 0: forward mode gave NaN (0 * inf) on
// main d686887 at -O0..-O3, with and without -ferment-no-inline (round 32, found by hand while
// aiming the fuzzer's hazard variant); reverse mode was right (its strong zero for flat uses,
// `flat_zero_adjoints`). Forward mode now makes the product of such a partial with the tangent
// zero where the partial is (`rules::finite::flat_uses_at_infinity`), counting loads and
// arguments as possibly infinite (the quotient written by a callee, returned by one, through an
// array). Oracles: the analytic derivative at s = -0.5, central finite differences at s = -0.5 and
// s = 0.7 (z > 0: nothing infinite), forward against reverse and split mode.
#include "check.h"

extern int enzyme_out;
typedef struct {
  double du, ds;
} D2;
D2 __enzyme_autodiff_d2(void *, ...) __asm__("__enzyme_autodiff");
double __enzyme_fwddiff(void *, ...);
void *__enzyme_augmentfwd(void *, ...);
D2 __enzyme_reverse_d2(void *, ...) __asm__("__enzyme_reverse");

#define NOINL __attribute__((noinline))
#define N 4

static double direct_exp(double u, double s) {
  double z = fmax(s, 0.0);
  return u * u + u * exp(-(1.0 + u * u) / z);
}

NOINL static double ratio(double a, double z) { return a / z; }
static double returned_atan(double u, double s) {
  double z = fmax(s, 0.0);
  return u * u + u * atan(ratio(1.5 + u, z));
}

NOINL static void put(double *b, double a, double z) { b[0] = a / z; }
static double written_atan(double u, double s) {
  double b[1];
  put(b, 1.5 + u, fmax(s, 0.0));
  return u * u + u * atan(b[0]);
}

static double array_exp(double u, double s) {
  double b[N], t = 0;
  for (int i = 0; i < N; i++)
    b[i] = -(1.0 + u * u) / (fmax(s, 0.0) * (i % 2));
  for (int i = 0; i < N; i++)
    t += exp(b[i]);
  return u * u + t;
}

NOINL static double sum_erf(const double *b, int n) {
  double t = 0;
  for (int i = 0; i < n; i++)
    t += erf(b[i]);
  return t;
}
static double callee_erf(double u, double s) {
  double b[N];
  for (int i = 0; i < N; i++)
    b[i] = (0.5 + u * u) / (fmax(s, 0.0) * (i % 2));
  return u * u + u * sum_erf(b, N);
}

NOINL static void put_exp(double *b, double a, double z) { b[0] = exp(-a / z); }
static double callee_exp(double u, double s) {
  double b[1];
  put_exp(b, 1.0 + u * u, fmax(s, 0.0));
  return u * u + u * b[0];
}

static double direct_tanh(double u, double s) {
  double z = fmax(s, 0.0);
  return u * u + u * tanh((0.5 + u * u) / z);
}

#define CHECK_AT(F, u, s, wu, ws)                                                              \
  do {                                                                                         \
    D2 r_ = __enzyme_autodiff_d2((void *)F, u, s);                                             \
    void *tape_ = __enzyme_augmentfwd((void *)F, enzyme_out, u, enzyme_out, s);                \
    D2 sp_ = __enzyme_reverse_d2((void *)F, enzyme_out, u, enzyme_out, s, 1.0, tape_);         \
    double fu_ = __enzyme_fwddiff((void *)F, u, 1.0, s, 0.0);                                  \
    double fs_ = __enzyme_fwddiff((void *)F, u, 0.0, s, 1.0);                                  \
    CHECK_CLOSE_AT("forward " #F " d/du", s, fu_, wu, RTOL_FD, ATOL_FD);                       \
    CHECK_CLOSE_AT("forward " #F " d/ds", s, fs_, ws, RTOL_FD, ATOL_FD);                       \
    CHECK_CLOSE_AT("reverse " #F " d/du", s, r_.du, fu_, RTOL_D, ATOL_D);                      \
    CHECK_CLOSE_AT("reverse " #F " d/ds", s, r_.ds, fs_, RTOL_D, ATOL_D);                      \
    CHECK_CLOSE_AT("split " #F " d/du", s, sp_.du, r_.du, RTOL_D, ATOL_D);                     \
    CHECK_CLOSE_AT("split " #F " d/ds", s, sp_.ds, r_.ds, RTOL_D, ATOL_D);                     \
  } while (0)

#define FD_U(F, u, s) ((F((u) + 1e-6, s) - F((u) - 1e-6, s)) / 2e-6)
#define FD_S(F, u, s) ((F(u, (s) + 1e-6) - F(u, (s) - 1e-6)) / 2e-6)
#define CHECK_FD(F, u, s) CHECK_AT(F, u, s, FD_U(F, u, s), FD_S(F, u, s))
#define CHECK_ALL(F, wu0)                                                                      \
  do {                                                                                         \
    CHECK_AT(F, u, -0.5, wu0, 0.0);                                                            \
    CHECK_FD(F, u, -0.5);                                                                      \
    CHECK_FD(F, u, 0.7);                                                                       \
  } while (0)

int main(void) {
  static const double us[] = {0.3, -1.25, 2.0};
  for (unsigned k = 0; k < COUNT_OF(us); k++) {
    double u = us[k];
    CHECK_ALL(direct_exp, 2.0 * u);
    CHECK_ALL(returned_atan, 2.0 * u + M_PI / 2);
    CHECK_ALL(written_atan, 2.0 * u + M_PI / 2);
    CHECK_ALL(array_exp, 2.0 * u);
    CHECK_ALL(callee_erf, 2.0 * u + N);
    CHECK_ALL(callee_exp, 2.0 * u);
    CHECK_ALL(direct_tanh, 2.0 * u + 1.0);
  }
  return check_report();
}
