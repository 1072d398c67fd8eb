// CFLAGS: -mllvm -ferment-no-inline
// Forward mode over reverse mode (and over split mode) of kernels that put an enzyme_const
// argument (a constant global) and an active local array into one array of row pointers, with
// every helper a call of its own (-ferment-no-inline). The gradient stores the argument into the
// rows' shadow as its own shadow; forward mode over the gradient (a function of its own, the
// argument a parameter there without a shadow) refused the pointers loaded back ("merges pointers
// to duplicated data with pointers to constant data", main a845f59 at -O0). Forward mode now
// passes the constant global's zero twin as the shadow of a call's argument that the callee
// stores or merges. f2 stores the argument through a helper of its own (a call deeper).
// Found by ferment-fuzz --variant hvp,edge seed 25640057 (and hvp,user 26630001).
// Oracles: central differences of f for the gradient, central differences of the reverse
// gradient for H v (forward over reverse and over split), and the Hessian's symmetry.
#include "check.h"

extern int enzyme_const, enzyme_dup, enzyme_out;
double __enzyme_autodiff(void *, ...);
double __enzyme_reverse(void *, ...);
void *__enzyme_augmentfwd(void *, ...);
void __enzyme_fwddiff(void *, ...);

enum { N = 3, NX = N + 1 };
static const double pc[N] = {0.3, -0.6, 0.9};

double f1(const double *p0, const double *w, double s) {
  double a0[N];
  for (int q = 0; q < N; q++)
    a0[q] = s * (0.5 + 0.1 * q) + w[q] * w[(q + 1) % N];
  const double *rows[2] = {p0, a0};
  double t = s;
  for (int i = 0; i < N; i++)
    t = -0.7 * t + 0.45 * tanh(rows[i % 2][i] * sin(t)) + 0.2 * rows[(i + 1) % 2][i] * w[i];
  return t * t;
}

__attribute__((noinline)) static void fill_rows(const double **rows, const double *c, const double *a) {
  rows[0] = a;
  rows[1] = c;
}

double f2(const double *p0, const double *w, double s) {
  double a0[N];
  for (int q = 0; q < N; q++)
    a0[q] = cos(s * w[q]) + 0.3 * q;
  const double *rows[2];
  fill_rows(rows, p0, a0);
  double t = 0;
  for (int i = 0; i < 2 * N; i++)
    t += rows[i % 2][i % N] * rows[(i + 1) % 2][(i + 1) % N] * w[i % N];
  return t + s * t;
}

static double f_at(int which, const double *x) {
  return which ? f2(pc, x, x[N]) : f1(pc, x, x[N]);
}

__attribute__((noinline)) static void GRAD(int which, const double *x, double *g) {
  double w[N] = {x[0], x[1], x[2]}, dw[N] = {0, 0, 0};
  if (which)
    g[N] = __enzyme_autodiff((void *)f2, enzyme_const, pc, enzyme_dup, w, dw, enzyme_out, x[N]);
  else
    g[N] = __enzyme_autodiff((void *)f1, enzyme_const, pc, enzyme_dup, w, dw, enzyme_out, x[N]);
  for (int i = 0; i < N; i++)
    g[i] = dw[i];
}

__attribute__((noinline)) static void GRAD_SPLIT(int which, const double *x, double *g) {
  double w[N] = {x[0], x[1], x[2]}, dw[N] = {0, 0, 0};
  if (which) {
    void *tape = __enzyme_augmentfwd((void *)f2, enzyme_const, pc, enzyme_dup, w, dw, enzyme_out, x[N]);
    g[N] = __enzyme_reverse((void *)f2, enzyme_const, pc, enzyme_dup, w, dw, enzyme_out, x[N], 1.0, tape);
  } else {
    void *tape = __enzyme_augmentfwd((void *)f1, enzyme_const, pc, enzyme_dup, w, dw, enzyme_out, x[N]);
    g[N] = __enzyme_reverse((void *)f1, enzyme_const, pc, enzyme_dup, w, dw, enzyme_out, x[N], 1.0, tape);
  }
  for (int i = 0; i < N; i++)
    g[i] = dw[i];
}

int main(void) {
  const double pts[2][NX] = {{0.3, -0.7, 0.9, 0.8}, {-0.5, 0.4, 0.6, -0.3}};
  const double dirs[2][NX] = {{0.2, -0.1, 0.3, 0.5}, {-0.4, 0.25, 0.1, -0.3}};
  const double e = 1e-6;
  for (int which = 0; which < 2; which++) {
    for (int k = 0; k < 2; k++) {
      const double *x = pts[k];
      int at = 10 * which + k;
      double gr[NX], xx[NX];
      GRAD(which, x, gr);
      for (int i = 0; i < NX; i++) {
        memcpy(xx, x, sizeof xx);
        xx[i] = x[i] + e;
        double fp = f_at(which, xx);
        xx[i] = x[i] - e;
        double fm = f_at(which, xx);
        CHECK_CLOSE_AT("reverse gradient vs FD of f", at, gr[i], (fp - fm) / (2 * e), RTOL_FD, ATOL_FD);
      }
      double hv[2][NX];
      for (int d = 0; d < 2; d++) {
        const double *v = dirs[d];
        double g0[NX], h[NX], gs[NX], hs[NX], xp[NX], xm[NX], gp[NX], gm[NX];
        for (int i = 0; i < NX; i++) {
          xp[i] = x[i] + e * v[i];
          xm[i] = x[i] - e * v[i];
        }
        GRAD(which, xp, gp);
        GRAD(which, xm, gm);
        __enzyme_fwddiff((void *)GRAD, enzyme_const, which, enzyme_dup, x, v, enzyme_dup, g0, h);
        __enzyme_fwddiff((void *)GRAD_SPLIT, enzyme_const, which, enzyme_dup, x, v, enzyme_dup, gs, hs);
        for (int i = 0; i < NX; i++) {
          double fd = (gp[i] - gm[i]) / (2 * e);
          CHECK_CLOSE_AT("forward-over-reverse: gradient vs reverse", at, g0[i], gr[i], 1e-12, 1e-14);
          CHECK_CLOSE_AT("forward-over-reverse: H v vs FD of the gradient", at, h[i], fd, RTOL_FD, ATOL_FD);
          CHECK_CLOSE_AT("forward-over-split: gradient vs reverse", at, gs[i], gr[i], 1e-12, 1e-14);
          CHECK_CLOSE_AT("forward-over-split: H v vs FD of the gradient", at, hs[i], fd, RTOL_FD, ATOL_FD);
          hv[d][i] = h[i];
        }
      }
      double uhv = 0, vhu = 0;
      for (int i = 0; i < NX; i++) {
        uhv += dirs[1][i] * hv[0][i];
        vhu += dirs[0][i] * hv[1][i];
      }
      CHECK_CLOSE_AT("forward-over-reverse: symmetry", at, uhv, vhu, 1e-12, 1e-14);
    }
  }
  return check_report();
}
