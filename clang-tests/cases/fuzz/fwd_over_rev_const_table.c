// Forward mode over reverse mode (and over split mode) of a kernel whose pointers mix a
// duplicated array with a constant table: `c ? p : tbl` and an array of row pointers with a constant
// row `{p, tbl}`. The gradient's shadow pointer merges the
// adjoint array with the table standing for its own shadow (its stores run only where the two
// differ); forward mode over it refused the merge ("merges pointers to duplicated data with
// pointers to constant data") on main d625e12. Plain forward mode of a store through `c ? p : tbl`
// was refused the same way. Forward mode now gives a pointer into a constant global the same
// address in an all-zero constant twin of it as its shadow. Found by ferment-fuzz --variant
// hvp,user seeds 25630030, 25630031 and hvp,edge 25640015, 25640039, 25640042, 25640045 (a
// global pointer set to an active array and then to the table, 25630031's shape at -O0, is
// fwd_over_rev_global_pointer_table.c).
// Oracles: central differences of f for the gradient and for the forward tangent, central
// differences of the reverse gradient for H v (forward over reverse and over split), and the
// Hessian's symmetry; at points taking each side of every merge.
#include "check.h"

extern int enzyme_const, enzyme_dup, enzyme_dupnoneed, enzyme_out;
double __enzyme_autodiff(void *, ...);
double __enzyme_reverse(void *, ...);
void *__enzyme_augmentfwd(void *, ...);
void __enzyme_fwddiff(void *, ...);
double __enzyme_fwddiff_d(void *, ...) __asm__("__enzyme_fwddiff");

enum { N = 3, NX = N + 1 };
static const double tbl[4] = {0.5, -0.25, 1.5, 0.75};

double f(const double *p, double s) {
  const double *q = (s > 0.0) ? p : tbl;
  double t = sin(q[0] * s) + q[1] * q[2] * s;
  const double *rows[2] = {p, tbl};
  for (int i = 0; i < N; i++)
    t += rows[(i + (s > 0.0)) % 2][i] * cos(s * p[i]);
  return 0.5 * t * t + p[0] * t;
}

// A store through `c ? p : tbl` (it runs only where the pointer is p).
double g(double *p, double s) {
  double *q = (s > -5.0) ? p : (double *)tbl;
  q[1] = q[0] * sin(s) + q[2];
  const double *r = (s > 0.0) ? p : tbl;
  return r[1] * r[2] + q[1] * s;
}

static double f_at(const double *x) { return f(x, x[N]); }
static double g_at(const double *x) {
  double p[N] = {x[0], x[1], x[2]};
  return g(p, x[N]);
}

__attribute__((noinline)) static void GRAD(const double *x, double *gr) {
  double p[N] = {x[0], x[1], x[2]}, dp[N] = {0, 0, 0};
  gr[N] = __enzyme_autodiff((void *)f, enzyme_dup, p, dp, x[N]);
  for (int i = 0; i < N; i++)
    gr[i] = dp[i];
}

__attribute__((noinline)) static void GRAD_SPLIT(const double *x, double *gr) {
  double p[N] = {x[0], x[1], x[2]}, dp[N] = {0, 0, 0};
  void *tape = __enzyme_augmentfwd((void *)f, enzyme_dup, p, dp, x[N]);
  gr[N] = __enzyme_reverse((void *)f, enzyme_dup, p, dp, x[N], 1.0, tape);
  for (int i = 0; i < N; i++)
    gr[i] = dp[i];
}

int main(void) {
  const double pts[3][NX] = {{0.3, -0.7, 0.9, 0.7}, {0.4, 0.6, -0.8, 0.1}, {-0.5, 0.2, 0.7, -0.4}};
  const double dirs[2][NX] = {{0.2, -0.1, 0.3, 0.5}, {-0.4, 0.25, 0.1, -0.3}};
  const double e = 1e-6;
  for (int k = 0; k < 3; k++) {
    const double *x = pts[k];
    double gr[NX], xx[NX];
    GRAD(x, gr);
    for (int i = 0; i < NX; i++) {
      memcpy(xx, x, sizeof xx);
      xx[i] = x[i] + e;
      double fp = f_at(xx);
      xx[i] = x[i] - e;
      double fm = f_at(xx);
      CHECK_CLOSE_AT("reverse gradient vs FD of f", k, gr[i], (fp - fm) / (2 * e), RTOL_FD, ATOL_FD);
    }
    double hv[2][NX];
    for (int d = 0; d < 2; d++) {
      const double *v = dirs[d];
      double g0[NX], h[NX], gs[NX], hs[NX], xp[NX], xm[NX], gp[NX], gm[NX];
      for (int i = 0; i < NX; i++) {
        xp[i] = x[i] + e * v[i];
        xm[i] = x[i] - e * v[i];
      }
      GRAD(xp, gp);
      GRAD(xm, gm);
      __enzyme_fwddiff((void *)GRAD, enzyme_dup, x, v, enzyme_dup, g0, h);
      __enzyme_fwddiff((void *)GRAD_SPLIT, enzyme_dup, x, v, enzyme_dup, gs, hs);
      for (int i = 0; i < NX; i++) {
        double fd = (gp[i] - gm[i]) / (2 * e);
        CHECK_CLOSE_AT("forward-over-reverse: gradient vs reverse", k, g0[i], gr[i], 1e-12, 1e-14);
        CHECK_CLOSE_AT("forward-over-reverse: H v vs FD of the gradient", k, h[i], fd, RTOL_FD, ATOL_FD);
        CHECK_CLOSE_AT("forward-over-split: gradient vs reverse", k, gs[i], gr[i], 1e-12, 1e-14);
        CHECK_CLOSE_AT("forward-over-split: H v vs FD of the gradient", k, hs[i], fd, RTOL_FD, ATOL_FD);
        hv[d][i] = h[i];
      }
    }
    double uhv = 0, vhu = 0;
    for (int i = 0; i < NX; i++) {
      uhv += dirs[1][i] * hv[0][i];
      vhu += dirs[0][i] * hv[1][i];
    }
    CHECK_CLOSE_AT("forward-over-reverse: symmetry", k, uhv, vhu, 1e-12, 1e-14);
    // Plain forward mode of g, a store through the merged pointer.
    {
      const double *v = dirs[0];
      double p[N] = {x[0], x[1], x[2]}, dp[N] = {v[0], v[1], v[2]}, xp[NX], xm[NX];
      double dg = __enzyme_fwddiff_d((void *)g, enzyme_dup, p, dp, enzyme_dup, x[N], v[N]);
      for (int i = 0; i < NX; i++) {
        xp[i] = x[i] + e * v[i];
        xm[i] = x[i] - e * v[i];
      }
      CHECK_CLOSE_AT("forward: g' v vs FD", k, dg, (g_at(xp) - g_at(xm)) / (2 * e), RTOL_FD, ATOL_FD);
      CHECK_CLOSE_AT("forward: the primal store", k, p[1], x[0] * sin(x[N]) + x[2], 1e-15, 0.0);
    }
  }
  return check_report();
}
