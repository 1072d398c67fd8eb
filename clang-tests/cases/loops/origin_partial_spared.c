// Gauss-Seidel sweeps in place, x = (u + c s) * inv with the quotient inv = 1 / (1 + 4 c) before
// the loops (benches/src/gauss_seidel.c's shape), their result discarded by a select at the
// quotient's pole c = -1/4. The partial inv of (u + c s) is the origin of the loaded-guard test
// (`o - o == 0`): where that test holds the reverse loops multiply by inv without a guard, where
// it fails (inv infinite) the guarded copy must still give the discarded x's products zero, not
// inf * 0 = NaN. Oracles: the analytic derivative at the pole (d/du = 2u, d/dc = 0), central
// finite differences away from it, forward mode against reverse mode.
#include "check.h"

typedef struct { double du, dc; } D2;
D2 __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);

#define N 6
static double sweeps(double u, double c) {
  double x[N];
  double inv = 1 / (1 + 4 * c);
  for (int i = 0; i < N; i++)
    x[i] = u * (i + 1);
  for (int it = 0; it < 3; it++)
    for (int i = 0; i < N; i++) {
      double s = 0;
      if (i > 0) s += x[i - 1];
      if (i < N - 1) s += x[i + 1];
      x[i] = (u + c * s) * inv;
    }
  double t = 0;
  for (int i = 0; i < N; i++)
    t += x[i] * x[i];
  return u * u + (c != -0.25 ? t : 0.0);
}

#define FD_U(u, c) ((sweeps((u) + 1e-6, c) - sweeps((u) - 1e-6, c)) / 2e-6)
#define FD_C(u, c) ((sweeps(u, (c) + 1e-6) - sweeps(u, (c) - 1e-6)) / 2e-6)

static void check_at(double u, double c, double wu, double wc) {
  D2 r = __enzyme_autodiff((void *)sweeps, u, c);
  double fu = __enzyme_fwddiff((void *)sweeps, u, 1.0, c, 0.0);
  double fc = __enzyme_fwddiff((void *)sweeps, u, 0.0, c, 1.0);
  CHECK_CLOSE_AT("reverse d/du", c, r.du, wu, RTOL_FD, ATOL_FD);
  CHECK_CLOSE_AT("reverse d/dc", c, r.dc, wc, RTOL_FD, ATOL_FD);
  CHECK_CLOSE_AT("forward d/du", c, fu, r.du, RTOL_D, ATOL_D);
  CHECK_CLOSE_AT("forward d/dc", c, fc, r.dc, RTOL_D, ATOL_D);
}

int main(void) {
  static const double us[] = {0.3, -1.25, 2.0};
  for (unsigned k = 0; k < COUNT_OF(us); k++) {
    double u = us[k];
    check_at(u, -0.25, 2.0 * u, 0.0);
    check_at(u, 0.2, FD_U(u, 0.2), FD_C(u, 0.2));
    check_at(u, -0.1, FD_U(u, -0.1), FD_C(u, -0.1));
  }
  return check_report();
}
