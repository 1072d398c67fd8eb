// CFLAGS: -mllvm -ferment-no-inline
// Forward mode over split mode with calls kept (`-ferment-no-inline`) of a kernel that sets a
// global pointer to an active array, reads through it, then sets it to a constant table
// (`fwd_over_rev_global_pointer_table.c`'s kernel, found by the session 34 option audit). The
// augmented function stores the adjoint global's address (`garr.ferment.shadow`) into the pointer's
// adjoint global and tapes it; the reverse function adds adjoints through the taped pointer and
// reads the adjoint global directly in its loop. Forward mode over the reverse function counted
// that global as constant memory (nothing in the function stores an active value into it
// directly, and ferment's own globals were never carried across calls), so its loads got no
// tangent: H v from forward over split was wrong at -O0 (12 of 74 checks) on main a6bd137 and
// cb56a83; -O1..-O3 and forward over the combined gradient were right. Adjoint globals are now
// carried across kept calls like a user's globals (`carried_global`): the caller learns from the
// augmented call that the global holds derivatives and passes that on to the reverse call.
// Oracles: central differences of f for the gradient, central differences of the reverse
// gradient for H v (forward over reverse and over split, also two directions per call with
// enzyme_width 2: each lane's tangent of the adjoint global), and the Hessian's symmetry.
#include "check.h"

extern int enzyme_const, enzyme_dup, enzyme_out, enzyme_width, enzyme_dupv;
double __enzyme_autodiff(void *, ...);
double __enzyme_reverse(void *, ...);
void *__enzyme_augmentfwd(void *, ...);
void __enzyme_fwddiff(void *, ...);

enum { N = 3, NX = N + 1 };
static const double tbl[4] = {0.5, -0.25, 1.5, 0.75};
static const double *gptr;
static double garr[N];

double f(const double *p, double s) {
  gptr = garr;
  for (int i = 0; i < N; i++)
    garr[i] = p[(i + 1) % N] * s;
  double t = gptr[1] * gptr[2];
  gptr = tbl;
  t += gptr[1] * gptr[2] * p[1];
  return t * t + sin(p[0] * s);
}

static double f_at(const double *x) { return f(x, x[N]); }

__attribute__((noinline)) static void GRAD(const double *x, double *g) {
  double p[N] = {x[0], x[1], x[2]}, dp[N] = {0, 0, 0};
  g[N] = __enzyme_autodiff((void *)f, enzyme_dup, p, dp, x[N]);
  for (int i = 0; i < N; i++)
    g[i] = dp[i];
}

__attribute__((noinline)) static void GRAD_SPLIT(const double *x, double *g) {
  double p[N] = {x[0], x[1], x[2]}, dp[N] = {0, 0, 0};
  void *tape = __enzyme_augmentfwd((void *)f, enzyme_dup, p, dp, x[N]);
  g[N] = __enzyme_reverse((void *)f, enzyme_dup, p, dp, x[N], 1.0, tape);
  for (int i = 0; i < N; i++)
    g[i] = dp[i];
}

int main(void) {
  const double pts[2][NX] = {{0.3, -0.7, 0.9, 0.6}, {-0.4, 0.5, 0.2, -0.8}};
  const double dirs[2][NX] = {{0.2, -0.1, 0.3, 0.5}, {-0.4, 0.25, 0.1, -0.3}};
  const double e = 1e-6;
  for (int k = 0; k < 2; k++) {
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
    // Both directions in one call (enzyme_width 2): lane d must be the H v of direction d.
    double gw[NX], hw[2][NX];
    __enzyme_fwddiff((void *)GRAD_SPLIT, enzyme_width, 2, enzyme_dupv, sizeof dirs[0], x, dirs[0],
                     enzyme_dupv, sizeof hw[0], gw, hw[0]);
    for (int d = 0; d < 2; d++)
      for (int i = 0; i < NX; i++)
        CHECK_CLOSE_AT("forward-over-split, width 2: lane's H v vs forward-over-reverse", k, hw[d][i],
                       hv[d][i], 1e-12, 1e-14);
    double uhv = 0, vhu = 0;
    for (int i = 0; i < NX; i++) {
      uhv += dirs[1][i] * hv[0][i];
      vhu += dirs[0][i] * hv[1][i];
    }
    CHECK_CLOSE_AT("forward-over-reverse: symmetry", k, uhv, vhu, 1e-12, 1e-14);
  }
  return check_report();
}
