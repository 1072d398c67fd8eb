// The matrix exponential by scaling and squaring with a [6/6] Pade approximant, as a
// control/Markov-chain code writes it: the 1-norm picks the scaling s with frexp (an integer
// from the active data: the branch is piecewise constant), Horner-like evaluation of the even and
// odd parts in preallocated workspaces (a struct of malloc'ed buffers reused across calls),
// P = V + U, Q = V - U solved by LU without pivoting on a diagonally dominant Q (columns solved
// one at a time), then s squarings with a ping-pong between two buffers swapped by pointers.
// The user computes the transition probabilities of a continuous-time Markov chain,
// P(t) = expm(t Q), and differentiates a log-likelihood of observed transitions with respect to
// the generator's rates: reverse mode, and split mode with the tape kept across a check.
// Written as a new user's Enzyme program (session 39, issue 14). Oracle: central differences,
// forward vs reverse, split vs one-call reverse.
#include "check.h"
#include <stdlib.h>

double __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);
void *__enzyme_augmentfwd(void *, ...);
void __enzyme_reverse(void *, ...);

#define NS 4

typedef struct {
  double *A2, *A4, *A6, *U, *V, *P, *Q, *T;
  int n;
} Work;

static Work work_new(int n) {
  Work w;
  double **b[] = {&w.A2, &w.A4, &w.A6, &w.U, &w.V, &w.P, &w.Q, &w.T};
  for (int i = 0; i < 8; i++) *b[i] = malloc(sizeof(double) * n * n);
  w.n = n;
  return w;
}

static void work_free(Work *w) {
  free(w->A2), free(w->A4), free(w->A6), free(w->U), free(w->V), free(w->P), free(w->Q), free(w->T);
}

static void matmul(const double *a, const double *b, double *c, int n) {
  for (int i = 0; i < n; i++)
    for (int j = 0; j < n; j++) {
      double s = 0.0;
      for (int k = 0; k < n; k++) s += a[i * n + k] * b[k * n + j];
      c[i * n + j] = s;
    }
}

static double norm1(const double *a, int n) {
  double m = 0.0;
  for (int j = 0; j < n; j++) {
    double s = 0.0;
    for (int i = 0; i < n; i++) s += fabs(a[i * n + j]);
    if (s > m) m = s;
  }
  return m;
}

/* X = Q^{-1} P, LU without pivoting (Q is close to the identity after scaling) */
static void lu_solve(double *Q, const double *P, double *X, int n) {
  for (int k = 0; k < n; k++)
    for (int i = k + 1; i < n; i++) {
      Q[i * n + k] /= Q[k * n + k];
      for (int j = k + 1; j < n; j++) Q[i * n + j] -= Q[i * n + k] * Q[k * n + j];
    }
  for (int c = 0; c < n; c++) {
    for (int i = 0; i < n; i++) {
      double s = P[i * n + c];
      for (int k = 0; k < i; k++) s -= Q[i * n + k] * X[k * n + c];
      X[i * n + c] = s;
    }
    for (int i = n - 1; i >= 0; i--) {
      double s = X[i * n + c];
      for (int k = i + 1; k < n; k++) s -= Q[i * n + k] * X[k * n + c];
      X[i * n + c] = s / Q[i * n + i];
    }
  }
}

static const double PADE6[7] = {1.0, 0.5, 5.0 / 44, 1.0 / 66, 1.0 / 792, 1.0 / 15840, 1.0 / 665280};

/* E = expm(A); A is scaled in place */
static void expm(double *A, double *E, Work *w) {
  int n = w->n, s = 0;
  double nrm = norm1(A, n);
  if (nrm > 0.5) {
    frexp(nrm / 0.5, &s);
    double sc = ldexp(1.0, -s);
    for (int i = 0; i < n * n; i++) A[i] *= sc;
  }
  matmul(A, A, w->A2, n);
  matmul(w->A2, w->A2, w->A4, n);
  matmul(w->A4, w->A2, w->A6, n);
  for (int i = 0; i < n * n; i++) {
    double id = (i / n == i % n) ? 1.0 : 0.0;
    w->T[i] = PADE6[1] * id + PADE6[3] * w->A2[i] + PADE6[5] * w->A4[i];
    w->V[i] = PADE6[0] * id + PADE6[2] * w->A2[i] + PADE6[4] * w->A4[i] + PADE6[6] * w->A6[i];
  }
  matmul(A, w->T, w->U, n);
  for (int i = 0; i < n * n; i++) w->P[i] = w->V[i] + w->U[i], w->Q[i] = w->V[i] - w->U[i];
  double *cur = E, *nxt = w->T;
  lu_solve(w->Q, w->P, cur, n);
  for (int k = 0; k < s; k++) {
    matmul(cur, cur, nxt, n);
    double *tmp = cur;
    cur = nxt, nxt = tmp;
  }
  if (cur != E) memcpy(E, cur, sizeof(double) * n * n);
}

/* rates: the 12 off-diagonal generator entries (log scale); counts: observed transitions */
double ctmc_loglik(const double *lrates, const double *counts, double t) {
  double A[NS * NS], E[NS * NS];
  int r = 0;
  for (int i = 0; i < NS; i++) {
    double row = 0.0;
    for (int j = 0; j < NS; j++) {
      if (i == j) continue;
      A[i * NS + j] = t * exp(lrates[r++]);
      row += A[i * NS + j];
    }
    A[i * NS + i] = -row;
  }
  Work w = work_new(NS);
  expm(A, E, &w);
  work_free(&w);
  double ll = 0.0;
  for (int i = 0; i < NS * NS; i++) ll += counts[i] * log(E[i]);
  return ll;
}

static double f_lr(const double *lr, const void *c) { return ctmc_loglik(lr, c, 1.7); }

int main(void) {
  double lr[12], dlr[12] = {0};
  for (int i = 0; i < 12; i++) lr[i] = -0.5 + 0.4 * sin(1.1 * i);
  double counts[NS * NS];
  for (int i = 0; i < NS * NS; i++) counts[i] = 3 + (i * 7) % 5 + (i / NS == i % NS ? 10 : 0);
  double t = 1.7;
  double dt = __enzyme_autodiff((void *)ctmc_loglik, enzyme_dup, lr, dlr, enzyme_const, counts, enzyme_out, t);
  CHECK_GRAD_FD("dll/dlograte", f_lr, counts, lr, 12, dlr, 1e-5, 1e-8);
  CHECK_CLOSE("dll/dt", dt, FD_AT(t, 1e-6, ctmc_loglik(lr, counts, t)), 1e-5, 1e-8);
  double tl[12];
  for (int i = 0; i < 12; i++) tl[i] = 0.1 * cos(0.7 * i);
  double tan = __enzyme_fwddiff((void *)ctmc_loglik, enzyme_dup, lr, tl, enzyme_const, counts, t, 0.3);
  CHECK_CLOSE("forward vs reverse", tan, dotv(dlr, tl, 12) + 0.3 * dt, 1e-9, 1e-11);

  double slr[12] = {0};
  void *tape = __enzyme_augmentfwd((void *)ctmc_loglik, enzyme_dup, lr, slr, enzyme_const, counts, enzyme_const, t);
  __enzyme_reverse((void *)ctmc_loglik, enzyme_dup, lr, slr, enzyme_const, counts, enzyme_const, t, 1.0, tape);
  CHECK_ARRAY_CLOSE("split vs one call", slr, dlr, 12, 1e-12, 1e-14);
  return check_report();
}
