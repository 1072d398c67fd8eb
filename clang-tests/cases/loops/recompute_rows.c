// -ferment-recompute-rows: loops whose iterations read data rows, write nothing and meet only in
// the returned sum run each row's forward and reverse passes together in the reverse sweep (the
// rows outlined and recomputed, no tape) — a robust regression (Huber loss, a branch on fabs of the row's residual,
// an active intercept loaded before the loop, softplus penalties after it), two predictors per
// row with a select and a subtracted term, the sum accumulated inside the row's inner loop, rows
// whose data is active too, and an empty loop. Beside them loops that must not be rewritten: the
// sum used nonlinearly after the loop (log of it), scaled in every iteration (a discounted sum),
// and read inside the row (a term that depends on the running sum). Oracles: the analytic
// gradient of the Huber loss written out, central finite differences, forward mode against reverse.
// CFLAGS: -mllvm -ferment-recompute-rows
// RUN: clang
#include "check.h"

double __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);
extern int enzyme_const, enzyme_dup, enzyme_out;

enum { N = 7, P = 5 };
static double X[N * P], Y[N];
#define DELTA 0.4
#define LAM 0.1

// sum_i huber(y_i - b - x_i . w) + LAM sum_j softplus(w_j); w[P] is the intercept b
double huber(const double *x, const double *y, const double *w, int n, int p) {
  double b = w[p], f = 0;
  for (int i = 0; i < n; i++) {
    double r = y[i] - b;
    for (int j = 0; j < p; j++) r -= x[i * p + j] * w[j];
    double a = fabs(r);
    if (a <= DELTA)
      f += 0.5 * r * r;
    else
      f += DELTA * (a - 0.5 * DELTA);
  }
  for (int j = 0; j < p; j++) f += LAM * log1p(exp(w[j]));
  return f;
}

// two predictors per row, the larger one's square subtracted, then a plain term
double two_predictors(const double *x, const double *w, int n, int p) {
  double f = 0;
  for (int i = 0; i < n; i++) {
    double s = 0, t = 0;
    for (int j = 0; j < p; j++) {
      s += x[i * p + j] * w[j];
      t += x[i * p + j] * w[p + j];
    }
    double m = s > t ? s : t;
    f = f - 0.25 * m * m;
    f += exp(0.3 * s) + sin(t);
  }
  return f;
}

// the sum accumulated inside the row's inner loop; the data rows active too
double inner_sum(const double *x, const double *w, int n, int p) {
  double f = 0;
  for (int i = 0; i < n; i++)
    for (int j = 0; j < p; j++) f += tanh(x[i * p + j] * w[j]) * x[i * p + j];
  return f;
}

// not rewritten: log of the sum
double log_of_sum(const double *x, const double *w, int n, int p) {
  double f = 1;
  for (int i = 0; i < n; i++) {
    double s = 0;
    for (int j = 0; j < p; j++) s += x[i * p + j] * w[j];
    f += s * s;
  }
  return log(f);
}

// not rewritten: a discounted sum (the sum scaled in every iteration)
double discounted(const double *x, const double *w, int n, int p) {
  double f = 0;
  for (int i = 0; i < n; i++) {
    double s = 0;
    for (int j = 0; j < p; j++) s += x[i * p + j] * w[j];
    f = 0.9 * f + s * s;
  }
  return f;
}

// not rewritten: the running sum read inside the row
double running(const double *x, const double *w, int n, int p) {
  double f = 0;
  for (int i = 0; i < n; i++) {
    double s = 0;
    for (int j = 0; j < p; j++) s += x[i * p + j] * w[j];
    f += sin(s + 0.1 * f);
  }
  return f;
}

typedef double (*rows_fn)(const double *, const double *, int, int);
struct ctx {
  rows_fn f;
  const double *x;
  int n;
};
static double fd_w(const double *w, const void *c) {
  const struct ctx *k = c;
  return k->f(k->x, w, k->n, P);
}
static double fd_huber(const double *w, const void *c) { return huber(X, Y, w, *(const int *)c, P); }
static double fd_x(const double *x, const void *c) { return inner_sum(x, (const double *)c, N, P); }

static void check_rows(const char *name, rows_fn f, const double *w, const double *tw, int nw) {
  double dw[2 * P + 1] = {0};
  __enzyme_autodiff((void *)f, enzyme_const, X, enzyme_dup, w, dw, enzyme_const, N, enzyme_const, P);
  struct ctx k = {f, X, N};
  CHECK_GRAD_FD(name, fd_w, &k, w, nw, dw, RTOL_FD, ATOL_FD);
  double fwd = __enzyme_fwddiff((void *)f, enzyme_const, X, enzyme_dup, w, tw, enzyme_const, N, enzyme_const, P);
  CHECK_CLOSE(name, fwd, dotv(dw, tw, nw), 1e-9, 1e-12);
}

int main(void) {
  unsigned st = 11;
  double w[2 * P + 1], tw[2 * P + 1], dw[2 * P + 1], want[P + 1];
  for (int k = 0; k < N * P; k++) X[k] = prand(&st) - 0.5;
  for (int k = 0; k < 2 * P + 1; k++) {
    w[k] = prand(&st) - 0.5;
    tw[k] = prand(&st) - 0.5;
  }
  // residuals both inside and outside the quadratic zone
  for (int i = 0; i < N; i++) Y[i] = (i % 3 == 0 ? 1.5 : 0.1) * (prand(&st) - 0.5) + (i % 2 ? 0.9 : -0.05);
  int n = N;

  // huber: d/dw_j = -sum_i psi(r_i) x_ij + LAM sigmoid(w_j), d/db = -sum_i psi(r_i)
  for (int j = 0; j <= P; j++) want[j] = 0;
  for (int i = 0; i < N; i++) {
    double r = Y[i] - w[P];
    for (int j = 0; j < P; j++) r -= X[i * P + j] * w[j];
    double d = fabs(r) <= DELTA ? r : copysign(DELTA, r);
    for (int j = 0; j < P; j++) want[j] -= d * X[i * P + j];
    want[P] -= d;
  }
  for (int j = 0; j < P; j++) want[j] += LAM / (1 + exp(-w[j]));
  for (int k = 0; k <= P; k++) dw[k] = 0;
  __enzyme_autodiff((void *)huber, enzyme_const, X, enzyme_const, Y, enzyme_dup, w, dw, enzyme_const, N,
                    enzyme_const, P);
  CHECK_ARRAY_CLOSE("huber vs analytic", dw, want, P + 1, 1e-9, 1e-12);
  CHECK_GRAD_FD("huber", fd_huber, &n, w, P + 1, dw, RTOL_FD, ATOL_FD);
  CHECK_CLOSE("huber forward vs reverse",
              __enzyme_fwddiff((void *)huber, enzyme_const, X, enzyme_const, Y, enzyme_dup, w, tw, enzyme_const, N,
                               enzyme_const, P),
              dotv(dw, tw, P + 1), 1e-9, 1e-12);
  // no rows: only the penalty's gradient
  for (int k = 0; k <= P; k++) dw[k] = 0;
  __enzyme_autodiff((void *)huber, enzyme_const, X, enzyme_const, Y, enzyme_dup, w, dw, enzyme_const, 0,
                    enzyme_const, P);
  for (int j = 0; j < P; j++) CHECK_CLOSE("huber, no rows", dw[j], LAM / (1 + exp(-w[j])), 1e-12, 1e-14);
  CHECK_CLOSE("huber, no rows: intercept", dw[P], 0, 0, 0);

  check_rows("two_predictors", two_predictors, w, tw, 2 * P);
  check_rows("inner_sum", inner_sum, w, tw, P);
  check_rows("log_of_sum", log_of_sum, w, tw, P);
  check_rows("discounted", discounted, w, tw, P);
  check_rows("running", running, w, tw, P);

  // inner_sum with the data active: d/dx_ij = tanh(u) + u (1 - tanh^2 u), u = x_ij w_j
  double dx[N * P] = {0}, wantx[N * P];
  for (int k = 0; k < P; k++) dw[k] = 0;
  __enzyme_autodiff((void *)inner_sum, enzyme_dup, X, dx, enzyme_dup, w, dw, enzyme_const, N, enzyme_const, P);
  for (int i = 0; i < N; i++)
    for (int j = 0; j < P; j++) {
      double u = X[i * P + j] * w[j], t = tanh(u);
      wantx[i * P + j] = t + u * (1 - t * t);
    }
  CHECK_ARRAY_CLOSE("inner_sum, data active, vs analytic", dx, wantx, N * P, 1e-9, 1e-12);
  CHECK_GRAD_FD("inner_sum, data active", fd_x, w, X, N * P, dx, RTOL_FD, ATOL_FD);
  return check_report();
}
