// Hessian-vector products by forward over reverse, as a truncated-Newton optimizer uses them:
// an L2-regularised logistic-regression loss over a data matrix (log1p(exp(-m)) written with a
// numerically safe branch), its gradient by __enzyme_autodiff in a helper `grad`, Hv by
// __enzyme_fwddiff of `grad`, and a few CG iterations on H p = -g (the Newton direction) that
// call hvp in a loop. Checked against the analytic Hessian X^T D X + lambda I and against
// central differences of the reverse gradient; the Newton step must lower the loss.
// Written as a new user's Enzyme program (session 37, issue 14). Oracle: analytic Hessian,
// central differences of the gradient.
#include "check.h"
#include <stdlib.h>
#include <string.h>

double __enzyme_autodiff(void *, ...);
void __enzyme_fwddiff(void *, ...);

typedef struct {
  int n, d;
  const double *X; /* n x d, row-major */
  const double *y; /* labels in {-1, +1} */
  double lambda;
} Data;

static double softplus_neg(double m) {
  /* log(1 + exp(-m)), stable for both signs */
  if (m > 0) return log1p(exp(-m));
  return -m + log1p(exp(m));
}

double loss(const double *w, const Data *D) {
  double L = 0.0;
  for (int i = 0; i < D->n; i++) {
    double m = 0.0;
    for (int j = 0; j < D->d; j++) m += D->X[i * D->d + j] * w[j];
    L += softplus_neg(D->y[i] * m);
  }
  L /= D->n;
  double r = 0.0;
  for (int j = 0; j < D->d; j++) r += w[j] * w[j];
  return L + 0.5 * D->lambda * r;
}

void grad(const double *w, double *g, const Data *D) {
  memset(g, 0, D->d * sizeof(double));
  __enzyme_autodiff((void *)loss, enzyme_dup, w, g, enzyme_const, D);
}

void hvp(const double *w, const double *v, double *hv, const Data *D) {
  double *g = malloc(D->d * sizeof(double));
  memset(hv, 0, D->d * sizeof(double));
  __enzyme_fwddiff((void *)grad, enzyme_dup, w, v, enzyme_dupnoneed, g, hv, enzyme_const, D);
  free(g);
}

static void newton_cg(const double *w, double *p, const Data *D, int iters) {
  int d = D->d;
  double *g = calloc(d, sizeof(double)), *r = malloc(d * sizeof(double)), *q = malloc(d * sizeof(double));
  double *Hq = malloc(d * sizeof(double));
  grad(w, g, D);
  for (int j = 0; j < d; j++) p[j] = 0.0, r[j] = -g[j], q[j] = r[j];
  double rr = dotv(r, r, d);
  for (int k = 0; k < iters && rr > 1e-24; k++) {
    hvp(w, q, Hq, D);
    double a = rr / dotv(q, Hq, d);
    for (int j = 0; j < d; j++) p[j] += a * q[j], r[j] -= a * Hq[j];
    double rn = dotv(r, r, d);
    for (int j = 0; j < d; j++) q[j] = r[j] + rn / rr * q[j];
    rr = rn;
  }
  free(g), free(r), free(q), free(Hq);
}

enum { NS = 30, ND = 5 };

int main(void) {
  double X[NS * ND], y[NS];
  unsigned st = 5;
  for (int i = 0; i < NS; i++) {
    double s = 0;
    for (int j = 0; j < ND; j++) X[i * ND + j] = prand(&st), s += X[i * ND + j] * (j - 2);
    y[i] = (s + 0.3 * prand(&st) > 0) ? 1.0 : -1.0;
  }
  Data D = {NS, ND, X, y, 0.05};
  double w[ND] = {0.2, -0.1, 0.4, 0.0, -0.3};

  /* analytic Hessian: (1/n) sum s(1-s) x x^T + lambda I, s = sigmoid(m) */
  double H[ND][ND] = {{0}};
  for (int i = 0; i < NS; i++) {
    double m = 0;
    for (int j = 0; j < ND; j++) m += X[i * ND + j] * w[j];
    double s = 1.0 / (1.0 + exp(-m));
    for (int a = 0; a < ND; a++)
      for (int b = 0; b < ND; b++) H[a][b] += s * (1 - s) * X[i * ND + a] * X[i * ND + b] / NS;
  }
  for (int a = 0; a < ND; a++) H[a][a] += D.lambda;

  for (int c = 0; c < ND; c++) {
    double e[ND] = {0}, hv[ND];
    e[c] = 1.0;
    hvp(w, e, hv, &D);
    for (int r = 0; r < ND; r++) CHECK_CLOSE("Hessian column vs analytic", hv[r], H[r][c], 1e-9, 1e-12);
  }
  /* gradient vs finite differences, and Hv against differences of the gradient */
  double g[ND];
  grad(w, g, &D);
  CHECK_ARRAY_FD("gradient", w, ND, g, 1e-6, loss(w, &D), RTOL_FD, ATOL_FD);
  double v[ND] = {1.0, 0.5, -0.25, 2.0, -1.0}, hv[ND], wp[ND], wm[ND], gp[ND], gm[ND];
  hvp(w, v, hv, &D);
  shift_along(wp, w, v, 1e-5, ND);
  shift_along(wm, w, v, -1e-5, ND);
  grad(wp, gp, &D);
  grad(wm, gm, &D);
  for (int j = 0; j < ND; j++) CHECK_CLOSE("Hv vs gradient differences", hv[j], (gp[j] - gm[j]) / 2e-5, 1e-6, 1e-9);

  /* the Newton-CG step solves H p = -g (d iterations suffice in exact arithmetic) */
  double p[ND], Hp[ND];
  newton_cg(w, p, &D, ND);
  hvp(w, p, Hp, &D);
  for (int j = 0; j < ND; j++) CHECK_CLOSE("H p = -g", Hp[j], -g[j], 1e-7, 1e-10);
  double wn[ND];
  shift_along(wn, w, p, 1.0, ND);
  CHECK_TRUE("Newton step lowers the loss", loss(wn, &D) < loss(w, &D));
  return check_report();
}
