// Hessian of a Rosenbrock-like chain: forward over reverse (scalar, batched enzyme_width 3 with
// enzyme_dup and with enzyme_dupv/enzyme_dupnoneedv strides) and reverse over reverse, against
// central differences of the reverse gradient.
#include "check.h"
extern int enzyme_dup, enzyme_const, enzyme_out, enzyme_width, enzyme_dupv, enzyme_dupnoneed, enzyme_dupnoneedv;
void __enzyme_autodiff(void *, ...);
double __enzyme_autodiff_d(void *, ...) __asm__("__enzyme_autodiff");
void __enzyme_fwddiff(void *, ...);
double __enzyme_fwddiff_d(void *, ...) __asm__("__enzyme_fwddiff");
enum { N = 3 };
double rosen(const double *x, int n) {
  double s = 0;
  for (int i = 0; i + 1 < n; i++) {
    double a = x[i + 1] - x[i] * x[i], b = 1 - x[i];
    s += 100 * a * a + b * b + exp(0.1 * x[i] * x[i + 1]);
  }
  return s;
}
void grad(const double *x, double *g, int n) {
  for (int i = 0; i < n; i++) g[i] = 0;
  __enzyme_autodiff((void *)rosen, enzyme_dup, x, g, enzyme_const, n);
}
/* one Hessian-vector product via forward over reverse */
void hvp(const double *x, const double *v, double *hv, int n) {
  double g[N], dg[N];
  __enzyme_fwddiff((void *)grad, enzyme_dup, x, v, enzyme_dupnoneed, g, dg, enzyme_const, n);
  for (int i = 0; i < n; i++) hv[i] = dg[i];
}
/* gradient component j as a scalar function, then reverse over it */
double gj(const double *x, int j, int n) {
  double g[N];
  grad(x, g, n);
  return g[j];
}
int main(void) {
  double x[N] = {0.7, -0.2, 1.3};
  double H[N][N];
  /* FD of gradient */
  for (int j = 0; j < N; j++) {
    double xp[N], xm[N], gp[N], gm[N];
    memcpy(xp, x, sizeof x); memcpy(xm, x, sizeof x);
    xp[j] += 1e-6; xm[j] -= 1e-6;
    grad(xp, gp, N); grad(xm, gm, N);
    for (int i = 0; i < N; i++) H[i][j] = (gp[i] - gm[i]) / 2e-6;
  }
  for (int j = 0; j < N; j++) {
    double v[N] = {0}, hv[N];
    v[j] = 1;
    hvp(x, v, hv, N);
    for (int i = 0; i < N; i++) CHECK_CLOSE("fwd-over-rev", hv[i], H[i][j], 1e-5, 1e-5);
  }
  /* batched: width 3 all columns at once; and with enzyme_dupv strides */
  {
    double g[N], dg[3][N], V[3][N] = {{1, 0, 0}, {0, 1, 0}, {0, 0, 1}};
    __enzyme_fwddiff((void *)grad, enzyme_width, 3, enzyme_dup, x, V[0], V[1], V[2],
                     enzyme_dupnoneed, g, dg[0], dg[1], dg[2], enzyme_const, N);
    for (int j = 0; j < N; j++)
      for (int i = 0; i < N; i++) CHECK_CLOSE("batched fwd-over-rev", dg[j][i], H[i][j], 1e-5, 1e-5);
    double dg2[3][N];
    __enzyme_fwddiff((void *)grad, enzyme_width, 3, enzyme_dupv, sizeof(double) * N, x, &V[0][0],
                     enzyme_dupnoneedv, sizeof(double) * N, g, &dg2[0][0], enzyme_const, N);
    for (int j = 0; j < N; j++)
      for (int i = 0; i < N; i++) CHECK_CLOSE("dupv fwd-over-rev", dg2[j][i], H[i][j], 1e-5, 1e-5);
  }
  for (int j = 0; j < N; j++) {
    double dx[N] = {0};
    __enzyme_autodiff((void *)gj, enzyme_dup, x, dx, enzyme_const, j, enzyme_const, N);
    for (int i = 0; i < N; i++) CHECK_CLOSE("rev-over-rev", dx[i], H[j][i], 1e-5, 1e-5);
  }
  return check_report();
}
