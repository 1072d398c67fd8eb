// Batched forward mode (enzyme_width N) through calls that stay calls (-ferment-no-inline): each
// callee gets a tangent function of the same width (float arguments with N tangents, pointers
// with N shadows, a float result with N tangents), including a recursive one and one called in a
// loop of runtime trip count; widths 3 and 8. Oracles, each lane on its own: central finite
// differences of the primal along the lane's direction, the scalar forward mode per direction.
// CFLAGS: -mllvm -ferment-no-inline
#include "check.h"

extern int enzyme_width, enzyme_dupv, enzyme_const;
void __enzyme_fwddiff(void *, ...);

enum { N = 6, MAXW = 8 };

__attribute__((noinline)) static double rate(double a, double b) { return a * exp(-b) / (1.0 + a * a); }
__attribute__((noinline)) static void axpy_sin(double *y, const double *x, double s, int n) {
  for (int i = 0; i < n; i++) y[i] += s * sin(x[i]);
}
static double pw(double x, int k) { return k == 0 ? 1.0 : x * pw(x, k - 1); }

// y = F(x) in R^n.
static void rhs(const double *x, double *y, int n) {
  for (int i = 0; i < n; i++) y[i] = rate(x[i], x[(i + 1) % n]) + pw(x[i], 3);
  axpy_sin(y, x, x[0], n);
}

static double x0[N] = {0.3, -0.8, 1.1, 0.5, -1.4, 0.9};
static double dirs[MAXW][N], dys[MAXW][N];

static void set_dirs(int width) {
  for (int k = 0; k < width; k++)
    for (int i = 0; i < N; i++) dirs[k][i] = (i == k % N) ? 1.0 : 0.2 * ((k + i) % 3 - 1);
}

// (One request per width, in functions of their own: the width must stay a constant.)
static void batch3(double *y) {
  __enzyme_fwddiff((void *)rhs, enzyme_width, 3, enzyme_dupv, sizeof dirs[0], x0, dirs[0], enzyme_dupv,
                   sizeof dys[0], y, dys[0], enzyme_const, N);
}
static void batch8(double *y) {
  __enzyme_fwddiff((void *)rhs, enzyme_width, 8, enzyme_dupv, sizeof dirs[0], x0, dirs[0], enzyme_dupv,
                   sizeof dys[0], y, dys[0], enzyme_const, N);
}

static void run(int width, void (*batch)(double *)) {
  double y[N];
  set_dirs(width);
  batch(y);
  for (int k = 0; k < width; k++) {
    double e = 1e-6, xp[N], xm[N], yp[N], ym[N], sy[N], sdy[N];
    for (int i = 0; i < N; i++) { xp[i] = x0[i] + e * dirs[k][i]; xm[i] = x0[i] - e * dirs[k][i]; }
    rhs(xp, yp, N);
    rhs(xm, ym, N);
    __enzyme_fwddiff((void *)rhs, x0, dirs[k], sy, sdy, enzyme_const, N);
    for (int i = 0; i < N; i++) {
      char msg[96];
      snprintf(msg, sizeof msg, "width %d lane %d y'[%d] vs finite differences", width, k, i);
      CHECK_CLOSE(msg, dys[k][i], (yp[i] - ym[i]) / (2 * e), RTOL_FD, ATOL_FD);
      snprintf(msg, sizeof msg, "width %d lane %d y'[%d] vs scalar forward", width, k, i);
      CHECK_CLOSE(msg, dys[k][i], sdy[i], RTOL_D, ATOL_D);
      CHECK_CLOSE("primal", y[i], sy[i], RTOL_D, ATOL_D);
    }
  }
}

int main(void) {
  run(3, batch3);
  run(8, batch8);
  return check_report();
}
