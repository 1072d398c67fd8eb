// loaded_infinite_factor.c with the quotient computed inside a loop: `b[i] = (i + 1) / s` stored in
// a loop, then `b[i] = u * b[i]` stored and read back only behind a select on s. At s = 0 the
// partial of b[i] in u is the loaded b[i] = inf, and b[i]'s adjoint is 0 (the select discarded it):
// reverse mode gave NaN in d/du (main f32a697 at -O0 and -O1, where b stays in memory: 24 of 72
// checks), because the run-time test of the stored quotients covered origins outside loops only.
// Now the forward sweep gathers the test of every value such a quotient takes (a NaN's bits ORed
// into one slot where `q - q` is NaN) and the products are guarded behind that test. Also the
// quotients of a 2-d loop nest, and a sum of loaded factors. Oracles: the analytic derivative at s
// = 0 (the quotients' terms are discarded), central finite differences where s != 0, forward mode
// against reverse mode. More modes and shapes: loaded_infinite_factor_loop_modes.c.
#include "check.h"

typedef struct { double du, ds; } D2;
D2 __enzyme_autodiff_d2(void *, ...) __asm__("__enzyme_autodiff");
double __enzyme_fwddiff(void *, ...);

#define N 4
static double loop_origin(double u, double s) {
  double b[N], t = 0;
  for (int i = 0; i < N; i++)
    b[i] = (i + 1) / s;
  for (int i = 0; i < N; i++)
    b[i] = u * b[i];
  for (int i = 0; i < N; i++)
    t += s != 0 ? b[i] : 0.0;
  return u * u + t;
}
static double nest_origin(double u, double s) {
  double b[N][N], t = 0;
  for (int i = 0; i < N; i++)
    for (int j = 0; j < N; j++)
      b[i][j] = (i + j + 1) / (s * (j + 1));
  for (int i = 0; i < N; i++)
    for (int j = 0; j < N; j++)
      b[i][j] = u * b[i][j];
  for (int i = 0; i < N; i++)
    t += s != 0 ? b[i][N - 1] : 0.0;
  return u * u + t;
}
static double sum_factor(double u, double s) {
  double b[N];
  for (int i = 0; i < N; i++)
    b[i] = (i + 1) / (1 + s);
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

int main(void) {
  static const double us[] = {0.3, -1.25, 2.0};
  for (unsigned k = 0; k < COUNT_OF(us); k++) {
    double u = us[k];
    // the singular point: the quotients' terms are discarded, d/du = 2u, d/ds = 0
    CHECK_AT(loop_origin, u, 0.0, 2.0 * u, 0.0);
    CHECK_AT(nest_origin, u, 0.0, 2.0 * u, 0.0);
    CHECK_AT(sum_factor, u, -1.0, 2.0 * u, 0.0);
    // away from it: finite differences
    CHECK_AT(loop_origin, u, 0.7, FD_U(loop_origin, u, 0.7), FD_S(loop_origin, u, 0.7));
    CHECK_AT(nest_origin, u, 0.7, FD_U(nest_origin, u, 0.7), FD_S(nest_origin, u, 0.7));
    CHECK_AT(sum_factor, u, 0.7, FD_U(sum_factor, u, 0.7), FD_S(sum_factor, u, 0.7));
  }
  return check_report();
}
