// By default (-ferment-no-jam-rows tapes instead) a loop whose iterations read a data row, write nothing
// and meet only in the returned sum has its rows unrolled and jammed by two and each pair run
// forward and backward together in the reverse sweep (reverse/rows.rs): logistic regression
// (log1p(exp(-y w.x)), an active intercept), an ordinal model (a label-indexed cutpoint gathered
// per row, branches at the first and last label), a Huber loss with the row length a parameter;
// each at odd and even row counts (the jam's leftover row), no rows, one row, rows of length zero
// (the test `p > 0` unswitched) and one. Beside them a loop with two inner loops per row (not
// jammed: taped), rows that gather from a table at a computed index (taped) and a sum scaled in
// every row (never rewritten). Oracles: the analytic gradients written out, central finite
// differences, forward mode against reverse.
// RUN: clang
#include "check.h"

double __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);
extern int enzyme_const, enzyme_dup, enzyme_out;

enum { N = 9, P = 6, K = 4 };
static double X[N * P], Y[N];
static int L[N];
#define DELTA 0.3

// sum_i log1p(exp(-y_i (b + x_i . w))), b = w[p]
double logreg(const double *x, const double *y, const double *w, long n, long p) {
  double f = 0;
  for (long i = 0; i < n; i++) {
    double z = w[p];
    for (long k = 0; k < p; k++) z += x[i * p + k] * w[k];
    f += log1p(exp(-y[i] * z));
  }
  return f;
}

static double sigmoid(double t) { return 1 / (1 + exp(-t)); }

// -sum_i log(sigmoid(th_c - eta) - sigmoid(th_{c-1} - eta)), th = w[p..p+K-2]
double ordinal(const double *x, const int *lab, const double *w, long n, long p) {
  const double *th = w + p;
  double f = 0;
  for (long i = 0; i < n; i++) {
    double eta = 0;
    for (long j = 0; j < p; j++) eta += x[i * p + j] * w[j];
    int c = lab[i];
    double hi = c < K - 1 ? sigmoid(th[c] - eta) : 1;
    double lo = c > 0 ? sigmoid(th[c - 1] - eta) : 0;
    f -= log(hi - lo);
  }
  return f;
}

double huber(const double *x, const double *y, const double *w, long n, long p) {
  double f = 0;
  for (long i = 0; i < n; i++) {
    double r = y[i];
    for (long j = 0; j < p; j++) r -= x[i * p + j] * w[j];
    double a = fabs(r);
    if (a <= DELTA)
      f += 0.5 * r * r;
    else
      f += DELTA * (a - 0.5 * DELTA);
  }
  return f;
}

// two inner loops per row (not jammed)
double two_loops(const double *x, const double *y, const double *w, long n, long p) {
  double f = 0;
  for (long i = 0; i < n; i++) {
    double s = 0, t = 0;
    for (long j = 0; j < p; j++) s += x[i * p + j] * w[j];
    for (long j = 0; j < p; j++) t += x[i * p + j] * x[i * p + j] * w[j];
    f += exp(0.2 * s) * y[i] + t * t;
  }
  return f;
}

// a table read in the row at a computed index (a gather: taped by default)
double gathered(const double *x, const double *y, const double *w, long n, long p) {
  double f = 0;
  for (long i = 0; i < n; i++) {
    double s = y[i];
    for (long j = 0; j < p; j++) {
      double t = x[i * p + j] * w[j];
      long k = (long)floor(fabs(t) * 7) % (N * P);
      s += t * X[k] + w[j] * w[j] * x[k];
    }
    f += s * s;
  }
  return f;
}

// never rewritten: the sum scaled in every row
double discounted(const double *x, const double *y, const double *w, long n, long p) {
  double f = 0;
  for (long i = 0; i < n; i++) {
    double s = y[i];
    for (long j = 0; j < p; j++) s += x[i * p + j] * w[j];
    f = 0.8 * f + s * s;
  }
  return f;
}

typedef double (*rows_fn)(const double *, const double *, const double *, long, long);
struct ctx {
  rows_fn f;
  long n, p;
};
static double fd(const double *w, const void *c) {
  const struct ctx *k = c;
  return k->f(X, Y, w, k->n, k->p);
}
static double ordinal_y(const double *x, const double *y, const double *w, long n, long p) {
  (void)y;
  return ordinal(x, L, w, n, p);
}

// the gradient of `f` at rows `n`, length `p` (nw parameters) against `want` (where given),
// central differences, and forward mode
static void check_rows(const char *name, rows_fn f, long n, long p, int nw, const double *w, const double *tw,
                       const double *want) {
  double dw[P + K] = {0};
  char what[96];
  if (f == ordinal_y)
    __enzyme_autodiff((void *)ordinal, enzyme_const, X, enzyme_const, L, enzyme_dup, w, dw, enzyme_const, n,
                      enzyme_const, p);
  else
    __enzyme_autodiff((void *)f, enzyme_const, X, enzyme_const, Y, enzyme_dup, w, dw, enzyme_const, n,
                      enzyme_const, p);
  snprintf(what, sizeof what, "%s n=%ld p=%ld", name, n, p);
  if (want) CHECK_ARRAY_CLOSE(what, dw, want, nw, 1e-9, 1e-12);
  struct ctx k = {f, n, p};
  CHECK_GRAD_FD(what, fd, &k, w, nw, dw, RTOL_FD, ATOL_FD);
  double fwd = f == ordinal_y ? __enzyme_fwddiff((void *)ordinal, enzyme_const, X, enzyme_const, L, enzyme_dup, w,
                                                 tw, enzyme_const, n, enzyme_const, p)
                              : __enzyme_fwddiff((void *)f, enzyme_const, X, enzyme_const, Y, enzyme_dup, w, tw,
                                                 enzyme_const, n, enzyme_const, p);
  CHECK_CLOSE(what, fwd, dotv(dw, tw, nw), 1e-9, 1e-12);
}

int main(void) {
  unsigned st = 5;
  double w[P + K], tw[P + K], want[P + K];
  for (int k = 0; k < N * P; k++) X[k] = prand(&st) - 0.5;
  for (int k = 0; k < P + K; k++) {
    w[k] = 0.8 * (prand(&st) - 0.5);
    tw[k] = prand(&st) - 0.5;
  }
  for (int i = 0; i < N; i++) {
    Y[i] = i % 3 ? 1 : -1;
    L[i] = i % K;
  }
  static const long rows[] = {N, N - 1, 2, 1, 0};
  for (int r = 0; r < 5; r++)
    for (long p = 0; p <= P; p += (p == 1 ? P - 1 : 1)) {
      long n = rows[r];
      // logreg: d/dw_k = sum_i -y_i sigmoid(-y_i z_i) x_ik, d/db = sum_i -y_i sigmoid(-y_i z_i)
      for (int k = 0; k < P + K; k++) want[k] = 0;
      for (long i = 0; i < n; i++) {
        double z = w[p];
        for (long k = 0; k < p; k++) z += X[i * p + k] * w[k];
        double c = -Y[i] * sigmoid(-Y[i] * z);
        for (long k = 0; k < p; k++) want[k] += c * X[i * p + k];
        want[p] += c;
      }
      check_rows("logreg", logreg, n, p, p + 1, w, tw, want);
      // ordinal, increasing cutpoints after the p weights
      double wo[P + K];
      for (int k = 0; k < P + K; k++) wo[k] = w[k];
      wo[p] = -0.9, wo[p + 1] = 0.1, wo[p + 2] = 1.2;
      // ordinal: with s_c = sigmoid(th_c - eta), d/deta = (s_hi (1 - s_hi) - s_lo (1 - s_lo)) / (hi - lo),
      // d/dth_c = -(1 - s_c) s_c / (hi - lo), d/dth_{c-1} = (1 - s_lo) s_lo / (hi - lo)
      for (int k = 0; k < P + K; k++) want[k] = 0;
      for (long i = 0; i < n; i++) {
        double eta = 0;
        for (long j = 0; j < p; j++) eta += X[i * p + j] * wo[j];
        int c = L[i];
        double hi = c < K - 1 ? sigmoid(wo[p + c] - eta) : 1, lo = c > 0 ? sigmoid(wo[p + c - 1] - eta) : 0;
        double dhi = c < K - 1 ? hi * (1 - hi) : 0, dlo = c > 0 ? lo * (1 - lo) : 0;
        double deta = (dhi - dlo) / (hi - lo);
        for (long j = 0; j < p; j++) want[j] += deta * X[i * p + j];
        if (c < K - 1) want[p + c] -= dhi / (hi - lo);
        if (c > 0) want[p + c - 1] += dlo / (hi - lo);
      }
      check_rows("ordinal", ordinal_y, n, p, (int)p + K - 1, wo, tw, want);
      // huber: d/dw_j = -sum_i psi(r_i) x_ij
      for (int k = 0; k < P + K; k++) want[k] = 0;
      for (long i = 0; i < n; i++) {
        double r = Y[i];
        for (long j = 0; j < p; j++) r -= X[i * p + j] * w[j];
        double d = fabs(r) <= DELTA ? r : copysign(DELTA, r);
        for (long j = 0; j < p; j++) want[j] -= d * X[i * p + j];
      }
      check_rows("huber", huber, n, p, (int)p, w, tw, want);
      check_rows("two_loops", two_loops, n, p, (int)p, w, tw, 0);
      check_rows("gathered", gathered, n, p, (int)p, w, tw, 0);
      check_rows("discounted", discounted, n, p, (int)p, w, tw, 0);
    }
  return check_report();
}
