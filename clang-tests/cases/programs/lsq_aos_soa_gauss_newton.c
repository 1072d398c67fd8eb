// A nonlinear least-squares fit written twice, as codes migrate between layouts: observations in
// an array of structs {t, y, weight, outlier flag} and the same data as a struct of arrays, a
// model y = a exp(-b t) cos(w t + phi) + c evaluated by a helper returning a struct by value,
// a Huber loss with a branch on the residual, outliers skipped by an int flag. Reverse-mode
// gradients with respect to the 5 parameters (enzyme_dup on a parameter array) must agree
// between layouts and with differences; the gradient with respect to the observations' y
// (active data in the AoS) too. Gauss-Newton then uses per-residual Jacobian rows by forward
// mode (enzyme_dupnoneed on the residual vector) and must lower the cost.
// Written as a new user's Enzyme program (session 37, issue 14). Oracle: central differences,
// forward vs reverse, layout vs layout.
#include "check.h"
#include <stdlib.h>
#include <string.h>

double __enzyme_autodiff(void *, ...);
void __enzyme_fwddiff(void *, ...);

enum { NP = 5 };

typedef struct {
  double t, y, weight;
  int outlier;
} Obs;

typedef struct {
  int n;
  double *t, *y, *weight;
  int *outlier;
} ObsSoA;

typedef struct {
  double value, envelope;
} Eval;

static Eval model(const double *p, double t) {
  Eval e;
  e.envelope = p[0] * exp(-p[1] * t);
  e.value = e.envelope * cos(p[2] * t + p[3]) + p[4];
  return e;
}

static double huber(double r, double delta) {
  double a = fabs(r);
  if (a <= delta) return 0.5 * r * r;
  return delta * (a - 0.5 * delta);
}

double cost_aos(const double *p, const Obs *obs, int n, double delta) {
  double c = 0.0;
  for (int i = 0; i < n; i++) {
    if (obs[i].outlier) continue;
    Eval e = model(p, obs[i].t);
    c += obs[i].weight * huber(e.value - obs[i].y, delta);
  }
  return c + 1e-3 * p[1] * p[1];
}

double cost_soa(const double *p, const ObsSoA *o, double delta) {
  double c = 0.0;
  for (int i = 0; i < o->n; i++) {
    if (o->outlier[i]) continue;
    c += o->weight[i] * huber(model(p, o->t[i]).value - o->y[i], delta);
  }
  return c + 1e-3 * p[1] * p[1];
}

/* residual vector for Gauss-Newton (squared loss, weights as sqrt) */
void residuals(const double *p, const ObsSoA *o, double *r) {
  for (int i = 0; i < o->n; i++) r[i] = o->outlier[i] ? 0.0 : sqrt(o->weight[i]) * (model(p, o->t[i]).value - o->y[i]);
}

static double sq_cost(const double *p, const ObsSoA *o) {
  double *r = malloc(o->n * sizeof(double)), s = 0.0;
  residuals(p, o, r);
  for (int i = 0; i < o->n; i++) s += r[i] * r[i];
  free(r);
  return s;
}

static void solve_spd(double A[NP][NP], double *b) {
  /* Cholesky */
  double L[NP][NP] = {{0}};
  for (int i = 0; i < NP; i++)
    for (int j = 0; j <= i; j++) {
      double s = A[i][j];
      for (int k = 0; k < j; k++) s -= L[i][k] * L[j][k];
      L[i][j] = (i == j) ? sqrt(s) : s / L[j][j];
    }
  for (int i = 0; i < NP; i++) {
    for (int k = 0; k < i; k++) b[i] -= L[i][k] * b[k];
    b[i] /= L[i][i];
  }
  for (int i = NP - 1; i >= 0; i--) {
    for (int k = i + 1; k < NP; k++) b[i] -= L[k][i] * b[k];
    b[i] /= L[i][i];
  }
}

enum { NO = 40 };

int main(void) {
  Obs obs[NO];
  ObsSoA soa = {NO, malloc(NO * sizeof(double)), malloc(NO * sizeof(double)), malloc(NO * sizeof(double)),
                malloc(NO * sizeof(int))};
  double truth[NP] = {2.0, 0.3, 3.0, 0.4, 0.1};
  unsigned st = 17;
  for (int i = 0; i < NO; i++) {
    obs[i].t = 0.1 * i;
    obs[i].y = model(truth, obs[i].t).value + 0.05 * prand(&st) + (i % 13 == 5 ? 1.5 : 0.0);
    obs[i].weight = 1.0 + 0.5 * (i % 3);
    obs[i].outlier = (i % 13 == 5);
    soa.t[i] = obs[i].t, soa.y[i] = obs[i].y, soa.weight[i] = obs[i].weight, soa.outlier[i] = obs[i].outlier;
  }
  double p[NP] = {1.7, 0.25, 2.9, 0.5, 0.0};
  double delta = 0.08;

  double gp_aos[NP] = {0}, gp_soa[NP] = {0};
  Obs dobs[NO];
  memset(dobs, 0, sizeof dobs);
  __enzyme_autodiff((void *)cost_aos, enzyme_dup, p, gp_aos, enzyme_dup, obs, dobs, enzyme_const, NO, enzyme_const,
                    delta);
  __enzyme_autodiff((void *)cost_soa, enzyme_dup, p, gp_soa, enzyme_const, &soa, enzyme_const, delta);
  CHECK_ARRAY_CLOSE("AoS vs SoA", gp_aos, gp_soa, NP, 1e-12, 1e-14);
  CHECK_ARRAY_FD("dcost/dp", p, NP, gp_aos, 1e-6, cost_aos(p, obs, NO, delta), RTOL_FD, ATOL_FD);
  for (int i = 0; i < NO; i++) {
    CHECK_CLOSE("dcost/dy", dobs[i].y, FD_AT(obs[i].y, 1e-6, cost_aos(p, obs, NO, delta)), RTOL_FD, ATOL_FD);
    CHECK_CLOSE("dcost/dt", dobs[i].t, FD_AT(obs[i].t, 1e-6, cost_aos(p, obs, NO, delta)), RTOL_FD, ATOL_FD);
    CHECK_CLOSE("dcost/dweight", dobs[i].weight, FD_AT(obs[i].weight, 1e-6, cost_aos(p, obs, NO, delta)), RTOL_FD,
                ATOL_FD);
  }

  /* Gauss-Newton with forward-mode Jacobian columns */
  double before = sq_cost(p, &soa);
  for (int it = 0; it < 4; it++) {
    double J[NP][NO], r[NO];
    for (int c = 0; c < NP; c++) {
      double e[NP] = {0};
      e[c] = 1.0;
      __enzyme_fwddiff((void *)residuals, enzyme_dup, p, e, enzyme_const, &soa, enzyme_dupnoneed, r, J[c]);
    }
    residuals(p, &soa, r);
    for (int c = 0; c < NP; c++) {
      CHECK_CLOSE("J column vs fd (row 7)", J[c][7], FD_AT(p[c], 1e-6, (residuals(p, &soa, r), r[7])), RTOL_FD,
                  ATOL_FD);
    }
    residuals(p, &soa, r);
    double A[NP][NP], g[NP];
    for (int a = 0; a < NP; a++) {
      g[a] = 0;
      for (int i = 0; i < NO; i++) g[a] -= J[a][i] * r[i];
      for (int b = 0; b < NP; b++) {
        A[a][b] = a == b ? 1e-6 : 0.0;
        for (int i = 0; i < NO; i++) A[a][b] += J[a][i] * J[b][i];
      }
    }
    solve_spd(A, g);
    for (int a = 0; a < NP; a++) p[a] += g[a];
  }
  CHECK_TRUE("Gauss-Newton lowers the squared cost", sq_cost(p, &soa) < 0.5 * before);
  free(soa.t), free(soa.y), free(soa.weight), free(soa.outlier);
  return check_report();
}
