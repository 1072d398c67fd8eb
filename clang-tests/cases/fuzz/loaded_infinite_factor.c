// A factor read back from memory that holds a stored quotient, infinite where the divisor is 0,
// times the zero adjoint of a product that is stored and never read (or read and discarded):
// `b[0] = 1 / s; b[1] = u * b[0]` at s = 0. The partial of b[1] in u is the loaded b[0] = inf,
// b[1]'s adjoint is 0 (nothing read it), and reverse mode multiplied them: NaN in d/du, where
// the true derivative is finite (at -O0/-O1, where b stays in memory; forward mode was right).
// Loaded values counted as finite, no guard sat on that product. Reverse mode now tests the
// quotients whose values the function stores (`o - o == 0`, once, outside the loops) and guards
// the loaded-factor products where one of them is not finite. Oracles: the analytic derivative
// at s = 0 (the quotient's terms are discarded or never read), central finite differences where
// s != 0, forward mode against reverse mode.
#include "check.h"

typedef struct { double du, ds; } D2;
D2 __enzyme_autodiff_d2(void *, ...);
double __enzyme_fwddiff(void *, ...);
D2 __enzyme_autodiff_out(void *, ...);
extern int enzyme_dup, enzyme_const, enzyme_out;

#define N 4
// the shape of the known-problem note: b[1] is stored and never read back
static double never_read(double u, double s) {
  double b[2];
  b[0] = 1 / s;
  b[1] = u * b[0];
  return u * u + (s != 0 ? b[0] * s : 0.0);
}
// a loop over the array scaled by a loaded factor, read back behind a select on the divisor
static double loop_discarded(double u, double s) {
  double b[N], t = 0;
  double r = 1 / s;
  for (int i = 0; i < N; i++)
    b[i] = r * (i + 1);
  for (int i = 0; i < N; i++)
    b[i] = u * b[i];
  for (int i = 0; i < N; i++)
    t += s != 0 ? b[i] : 0.0;
  return u * u + t;
}
// a sum of loaded values as the factor (gauss_seidel's `c * s`), the product stored and not read
static double sum_factor(double u, double s) {
  double b[N];
  double inv = 2 / (1 + s);
  for (int i = 0; i < N; i++)
    b[i] = (i + 1) * inv;
  for (int i = 1; i < N; i++)
    b[i] = (b[i - 1] + u * b[i]) * s;
  return u * u + (s != -1 ? b[N - 1] : 0.0);
}

#define FD_U(F, u, s) ((F((u) + 1e-6, s) - F((u) - 1e-6, s)) / 2e-6)
#define FD_S(F, u, s) ((F(u, (s) + 1e-6) - F(u, (s) - 1e-6)) / 2e-6)

#define CHECK_AT(F, u, s, wu, ws)                                                              \
  do {                                                                                         \
    D2 r_ = __enzyme_autodiff_d2((void *)F, u, s);                                             \
    double fu_ = __enzyme_fwddiff((void *)F, u, 1.0, s, 0.0);                                  \
    double fs_ = __enzyme_fwddiff((void *)F, u, 0.0, s, 1.0);                                  \
    CHECK_CLOSE_AT("reverse " #F " d/du", s, r_.du, wu, RTOL_FD, ATOL_FD);                     \
    CHECK_CLOSE_AT("reverse " #F " d/ds", s, r_.ds, ws, RTOL_FD, ATOL_FD);                     \
    CHECK_CLOSE_AT("forward " #F " d/du", s, fu_, r_.du, RTOL_D, ATOL_D);                      \
    CHECK_CLOSE_AT("forward " #F " d/ds", s, fs_, r_.ds, RTOL_D, ATOL_D);                      \
  } while (0)

// an output array: out[1] = u * out[0] with out[0] = 1 / s, out[1] seeded with 0
static void outputs(double *out, double u, double s) {
  out[0] = 1 / s;
  out[1] = u * out[0];
  out[2] = u * u;
}

int main(void) {
  static const double us[] = {0.3, -1.25, 2.0};
  for (unsigned k = 0; k < COUNT_OF(us); k++) {
    double u = us[k];
    // the singular point: the quotient's terms are discarded, d/du = 2u, d/ds = 0
    CHECK_AT(never_read, u, 0.0, 2.0 * u, 0.0);
    CHECK_AT(loop_discarded, u, 0.0, 2.0 * u, 0.0);
    CHECK_AT(sum_factor, u, -1.0, 2.0 * u, 0.0);
    // away from it: finite differences
    CHECK_AT(never_read, u, 0.7, FD_U(never_read, u, 0.7), FD_S(never_read, u, 0.7));
    CHECK_AT(loop_discarded, u, 0.7, FD_U(loop_discarded, u, 0.7),
             FD_S(loop_discarded, u, 0.7));
    CHECK_AT(sum_factor, u, 0.7, FD_U(sum_factor, u, 0.7), FD_S(sum_factor, u, 0.7));
    // the output array: only out[2] seeded, d/du = 2u, d/ds = 0
    double out[3], dout[3] = {0.0, 0.0, 1.0};
    D2 r = __enzyme_autodiff_out((void *)outputs, enzyme_dup, out, dout, u, 0.0);
    CHECK_CLOSE("outputs d/du, out[1] seeded 0", r.du, 2.0 * u, RTOL_D, ATOL_D);
    CHECK_CLOSE("outputs d/ds, out[1] seeded 0", r.ds, 0.0, RTOL_D, ATOL_D);
  }
  return check_report();
}
