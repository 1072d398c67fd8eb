// Batched split mode: __enzyme_augmentfwd and __enzyme_reverse with enzyme_width 3 (one width-3
// augmented forward function whose tape serves the three lanes, one reverse function carrying
// three adjoint lanes), with enzyme_dupv shadows, an enzyme_out scalar (three adjoints) and the
// input overwritten between the two calls (the tape must hold what the reverse sweep needs); and
// batched __enzyme_autodiff with enzyme_primal_return (the same width-N pair: the primal result
// first, then the N adjoints of the enzyme_out argument).
// Oracles: analytic derivatives per lane, and the scalar split mode run once per seed.
#include "check.h"
extern int enzyme_width, enzyme_dup, enzyme_const, enzyme_dupv, enzyme_out;
void *__enzyme_augmentfwd(void *, ...);
typedef struct { double a[3]; } G3;
G3 __enzyme_reverse(void *, ...);
double __enzyme_reverse_1(void *, ...) __asm__("__enzyme_reverse");

enum { N = 4 };
extern int enzyme_primal_return;
typedef struct { int n; double a[2]; } PR2;
PR2 __enzyme_autodiff_pr2(void *, ...);
static int counted(const double *x, double t, double *y) {
  y[0] = x[0] * t;
  y[1] = sin(x[1]) * t;
  return 7;
}
static void f(const double *x, double t, double *y, int n) {
  for (int i = 0; i < n; i++) y[i] = sin(x[i] * t) + x[(i + 1) % n] * x[i];
}

int main(void) {
  double x0[N] = {0.3, -0.6, 0.9, 1.2}, x[N], y[N], t = 0.7, dx[3][N] = {{0}}, s[3][N];
  for (int i = 0; i < N; i++) x[i] = x0[i];
  for (int k = 0; k < 3; k++)
    for (int i = 0; i < N; i++) s[k][i] = (i == k) ? 1.0 : 0.5 - 0.25 * k;
  void *tape = __enzyme_augmentfwd((void *)f, enzyme_width, 3, enzyme_dupv, sizeof dx[0], x, dx[0], enzyme_out,
                                   t, enzyme_dupv, sizeof s[0], y, s[0], enzyme_const, N);
  for (int i = 0; i < N; i++) CHECK_CLOSE("primal", y[i], sin(x0[i] * t) + x0[(i + 1) % N] * x0[i], RTOL_D, ATOL_D);
  for (int i = 0; i < N; i++) x[i] = 100.0; // the caller overwrites the input before the reverse sweep
  G3 g = __enzyme_reverse((void *)f, enzyme_width, 3, enzyme_dupv, sizeof dx[0], x, dx[0], enzyme_out, t,
                          enzyme_dupv, sizeof s[0], y, s[0], enzyme_const, N, tape);
  for (int k = 0; k < 3; k++) {
    double w[N], gt = 0, gx[N] = {0};
    for (int i = 0; i < N; i++) w[i] = (i == k) ? 1.0 : 0.5 - 0.25 * k;
    for (int i = 0; i < N; i++) {
      int j = (i + 1) % N;
      gt += w[i] * cos(x0[i] * t) * x0[i];
      gx[i] += w[i] * (cos(x0[i] * t) * t + x0[j]);
      gx[j] += w[i] * x0[i];
    }
    CHECK_CLOSE("d/dt lane", g.a[k], gt, RTOL_D, ATOL_D);
    for (int i = 0; i < N; i++) CHECK_CLOSE("d/dx lane", dx[k][i], gx[i], RTOL_D, ATOL_D);
    // The scalar split mode with the same seed.
    double xs[N], ys[N], dxs[N] = {0}, ws[N];
    for (int i = 0; i < N; i++) { xs[i] = x0[i]; ws[i] = w[i]; }
    void *tp = __enzyme_augmentfwd((void *)f, enzyme_dup, xs, dxs, enzyme_out, t, enzyme_dup, ys, ws, enzyme_const, N);
    double dt = __enzyme_reverse_1((void *)f, enzyme_dup, xs, dxs, enzyme_out, t, enzyme_dup, ys, ws, enzyme_const, N, tp);
    CHECK_CLOSE("d/dt lane vs scalar split", g.a[k], dt, RTOL_D, ATOL_D);
    for (int i = 0; i < N; i++) CHECK_CLOSE("d/dx lane vs scalar split", dx[k][i], dxs[i], RTOL_D, ATOL_D);
  }
  // Reverse mode with the primal result, width 2.
  {
    double u[2] = {0.5, 0.9}, yu[2], du[2][2] = {{0}}, su[2][2] = {{1, 0}, {0.5, 2}};
    PR2 r = __enzyme_autodiff_pr2((void *)counted, enzyme_width, 2, enzyme_primal_return, enzyme_dupv,
                                  sizeof du[0], u, du[0], enzyme_out, 1.5, enzyme_dupv, sizeof su[0], yu, su[0]);
    CHECK_TRUE("primal result", r.n == 7);
    CHECK_CLOSE("primal memory", yu[1], sin(u[1]) * 1.5, RTOL_D, ATOL_D);
    double w[2][2] = {{1, 0}, {0.5, 2}};
    for (int k = 0; k < 2; k++) {
      CHECK_CLOSE("primal_return d/dt", r.a[k], w[k][0] * u[0] + w[k][1] * sin(u[1]), RTOL_D, ATOL_D);
      CHECK_CLOSE("primal_return d/du0", du[k][0], w[k][0] * 1.5, RTOL_D, ATOL_D);
      CHECK_CLOSE("primal_return d/du1", du[k][1], w[k][1] * cos(u[1]) * 1.5, RTOL_D, ATOL_D);
    }
  }
  return check_report();
}
