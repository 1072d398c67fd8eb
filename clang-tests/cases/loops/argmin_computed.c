// Running extrema over computed values (`best = s < best ? s : best` with s computed in the
// iteration): ferment keeps the winning iteration's header values and recomputes that one
// iteration after the loop, so the derivative runs one body instead of one per iteration. The
// choice must stay the primal's. Covered: an argmin with its index carried alongside (the index
// also stored), an argmax through fmax, ties (a strict test keeps the first, a non-strict one and
// fmin the last), NaN candidates (never chosen by `<`, skipped by fmin, chosen by `!(s >= m)`), a
// start value that wins (an active bound), a minimum and a maximum in one loop, a payload chosen
// with the minimum, a candidate with a branch inside the iteration, early exits before the
// candidate and after the update, a loop that also stores its candidates into active memory (not
// rewritten: must stay right), a minimum over centres inside a sum over points (k-means) and
// inside a maximum over points, float, forward mode and forward over reverse (Hessian-vector
// product). Oracles: the analytic gradient written out by hand (with the winner found by the
// same test), central finite differences away from ties, and forward mode against reverse.
// RUN: clang opt
#include "check.h"

double __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);
extern int enzyme_const, enzyme_dup, enzyme_out;

enum { K = 6, NP = 17, D = 3, N = 8 };

// k-means with the index carried: sum over points of the squared distance to the nearest
// centre (first on ties); the assignment goes to `assign` (integers: inactive).
double kmeans_arg(const double *c, const double *x, int *assign, int k, int n, int d) {
  double f = 0;
  for (int i = 0; i < n; i++) {
    double best = INFINITY;
    int arg = -1;
    for (int j = 0; j < k; j++) {
      double s = 0;
      for (int l = 0; l < d; l++) {
        double t = x[i * d + l] - c[j * d + l];
        s += t * t;
      }
      if (s < best) {
        best = s;
        arg = j;
      }
    }
    assign[i] = arg;
    f += best;
  }
  return f;
}

// The same with a non-strict test (last on ties).
double kmeans_last(const double *c, const double *x, int k, int n, int d) {
  double f = 0;
  for (int i = 0; i < n; i++) {
    double best = INFINITY;
    for (int j = 0; j < k; j++) {
      double s = 0;
      for (int l = 0; l < d; l++) {
        double t = x[i * d + l] - c[j * d + l];
        s += t * t;
      }
      best = s <= best ? s : best;
    }
    f += best;
  }
  return f;
}

// The largest distance from a point to its nearest centre: a maximum over points of a minimum
// over centres (the outer loop's winning iteration holds the inner loop and its copy).
double minimax(const double *c, const double *x, int k, int n, int d) {
  double worst = -INFINITY;
  for (int i = 0; i < n; i++) {
    double best = INFINITY;
    for (int j = 0; j < k; j++) {
      double s = 0;
      for (int l = 0; l < d; l++) {
        double t = x[i * d + l] - c[j * d + l];
        s += t * t;
      }
      best = fmin(best, s);
    }
    worst = fmax(worst, best);
  }
  return sqrt(worst);
}

// An argmax through fmax: max_j w_j sin(y_j) + y_j^2 / 4, squared.
double fmax_score(const double *y, const double *w, int n) {
  double m = -INFINITY;
  for (int j = 0; j < n; j++)
    m = fmax(m, w[j] * sin(y[j]) + 0.25 * y[j] * y[j]);
  return m * m;
}

// The spread of the candidates: a minimum and a maximum of the same values in one loop.
double spread(const double *y, int n) {
  double lo = INFINITY, hi = -INFINITY;
  for (int j = 0; j < n; j++) {
    double s = y[j] * (1.5 - y[j]);
    lo = s < lo ? s : lo; // (compares: clang -O2 vectorizes fmin/fmax loops into
    hi = s > hi ? s : hi; // llvm.vector.reduce.fmin/fmax before opt, which ferment cannot differentiate)
  }
  return hi - lo;
}

// A value chosen with the minimum (its payload): the winner's w_j s_j, taken under the same test.
double payload(const double *y, const double *w, int n) {
  double best = INFINITY, pay = 0;
  for (int j = 0; j < n; j++) {
    double s = (y[j] + 0.3) * (y[j] + 0.3);
    double p = w[j] * s * y[j]; // (computed inside the `if`, it stays behind a branch: a phi)
    if (s < best) {
      best = s;
      pay = p;
    }
  }
  return best + pay;
}

// A candidate whose computation branches inside the iteration.
double branchy_min(const double *y, int n) {
  double m = INFINITY;
  for (int j = 0; j < n; j++) {
    double s;
    if (y[j] > 0)
      s = y[j] * y[j] + 1.0;
    else
      s = exp(-y[j]) * (2.0 + y[j]);
    if (s < m)
      m = s;
  }
  return 3.0 * m;
}

// NaN candidates, three ways (sqrt of a negative is NaN): `<` never picks one, fmin skips it,
// `!(s >= m)` picks it and then the next candidate (any comparison with NaN is false).
double nan_lt(const double *y, int n) {
  double m = INFINITY;
  for (int j = 0; j < n; j++) {
    double s = sqrt(y[j]) * y[j];
    if (s < m)
      m = s;
  }
  return m;
}
double nan_fmin(const double *y, int n) {
  double m = INFINITY;
  for (int j = 0; j < n; j++)
    m = fmin(m, sqrt(y[j]) * y[j]);
  return m;
}
double nan_not_ge(const double *y, int n) {
  double m = INFINITY;
  for (int j = 0; j < n; j++) {
    double s = sqrt(y[j]) * y[j];
    if (!(s >= m))
      m = s;
  }
  return m;
}

// Two ways out of the loop: before the candidate (an element above `cap`: the minimum so far
// leaves as it was) and after the update (a candidate below `tol`).
double early_exit_min(const double *y, double cap, double tol, int n) {
  double m = INFINITY;
  for (int j = 0; j < n; j++) {
    if (y[j] > cap)
      break;
    double s = (y[j] - 0.25) * (y[j] - 0.25) + 0.01 * y[j];
    if (s < m)
      m = s;
    if (s < tol)
      break;
  }
  return 2.0 * m + m * m;
}

// The start value is active and may win: min(b, min_j y_j^3).
double bound_min(const double *y, double b, int n) {
  double m = b;
  for (int j = 0; j < n; j++) {
    double s = y[j] * y[j] * y[j];
    if (s < m)
      m = s;
  }
  return 5.0 * m;
}

// The loop also stores every candidate into active memory: not rewritten, still right.
double store_min(const double *y, double *out, int n) {
  double m = INFINITY;
  for (int j = 0; j < n; j++) {
    double s = (y[j] - 0.5) * (y[j] - 0.5);
    out[j] = s;
    if (s < m)
      m = s;
  }
  double r = 0;
  for (int j = 0; j < n; j++)
    r += (0.1 + 0.05 * j) * out[j];
  return m + r;
}

// (a compare, not fmaxf: clang's own -O2 vectorizes an fmaxf loop into
// llvm.vector.reduce.fmax before `opt -passes=enzyme` sees it, which ferment has no rule for)
float maxf_score(const float *y, int n) {
  float m = -INFINITY;
  for (int j = 0; j < n; j++) {
    float s = y[j] * (1.0f - y[j]);
    m = s > m ? s : m;
  }
  return 2.0f * m;
}

// ---- oracles -------------------------------------------------------------------------------

static const double *kx;
static int kassign[NP];
static double fd_kmeans_arg(const double *c, const void *ctx) {
  (void)ctx;
  return kmeans_arg(c, kx, kassign, K, NP, D);
}
static double fd_kmeans_last(const double *c, const void *ctx) {
  (void)ctx;
  return kmeans_last(c, kx, K, NP, D);
}
static double fd_minimax(const double *c, const void *ctx) {
  (void)ctx;
  return minimax(c, kx, K, NP, D);
}
static double fd_fmax_score(const double *y, const void *w) {
  return fmax_score(y, (const double *)w, N);
}
static double fd_spread(const double *y, const void *ctx) {
  (void)ctx;
  return spread(y, N);
}
static double fd_payload(const double *y, const void *w) {
  return payload(y, (const double *)w, N);
}
static double fd_branchy(const double *y, const void *ctx) {
  (void)ctx;
  return branchy_min(y, N);
}
static double fd_nan_lt(const double *y, const void *ctx) {
  (void)ctx;
  return nan_lt(y, N);
}
static double fd_nan_fmin(const double *y, const void *ctx) {
  (void)ctx;
  return nan_fmin(y, N);
}
static double fd_nan_not_ge(const double *y, const void *ctx) {
  (void)ctx;
  return nan_not_ge(y, N);
}
static double early_cap, early_tol;
static double fd_early(const double *y, const void *ctx) {
  (void)ctx;
  return early_exit_min(y, early_cap, early_tol, N);
}
static double fd_store_min(const double *y, const void *ctx) {
  (void)ctx;
  double out[N];
  return store_min(y, out, N);
}

// The nearest centre of point i: first on ties when `last` is 0, last otherwise.
static int nearest(const double *c, const double *x, int i, int last) {
  int arg = -1;
  double best = INFINITY;
  for (int j = 0; j < K; j++) {
    double s = 0;
    for (int l = 0; l < D; l++)
      s += (x[i * D + l] - c[j * D + l]) * (x[i * D + l] - c[j * D + l]);
    if (last ? s <= best : s < best) {
      best = s;
      arg = j;
    }
  }
  return arg;
}

// d/dc of sum_i |x_i - c_a(i)|^2: -2 (x_i - c_a(i)) into the assigned centre.
static void kmeans_exact(const double *c, const double *x, int last, double *g) {
  for (int i = 0; i < K * D; i++)
    g[i] = 0;
  for (int i = 0; i < NP; i++) {
    int a = nearest(c, x, i, last);
    for (int l = 0; l < D; l++)
      g[a * D + l] -= 2.0 * (x[i * D + l] - c[a * D + l]);
  }
}

void kgrad(const double *c, double *dc, const double *x, int *assign) {
  __enzyme_autodiff((void *)kmeans_arg, enzyme_dup, c, dc, enzyme_const, x, enzyme_const, assign,
                    enzyme_const, K, enzyme_const, NP, enzyme_const, D);
}

static void zero(double *a, int n) {
  for (int i = 0; i < n; i++)
    a[i] = 0;
}

int main(void) {
  double c[K * D], x[NP * D], dc[K * D], g[K * D], tc[K * D];
  unsigned st = 11;
  for (int i = 0; i < K * D; i++) {
    c[i] = prand(&st);
    tc[i] = prand(&st);
  }
  for (int i = 0; i < NP * D; i++)
    x[i] = 1.2 * prand(&st);
  kx = x;

  // k-means, argmin with the index carried and stored
  int assign[NP];
  zero(dc, K * D);
  kgrad(c, dc, x, assign);
  kmeans_exact(c, x, 0, g);
  CHECK_ARRAY_CLOSE("kmeans (index carried) vs analytic", dc, g, K * D, RTOL_D, ATOL_D);
  CHECK_GRAD_FD("kmeans (index carried)", fd_kmeans_arg, NULL, c, K * D, dc, RTOL_FD, ATOL_FD);
  for (int i = 0; i < NP; i++)
    CHECK_CLOSE("kmeans assignment stored", assign[i], nearest(c, x, i, 0), 0, 0);
  CHECK_CLOSE("kmeans forward vs reverse",
              __enzyme_fwddiff((void *)kmeans_arg, enzyme_dup, c, tc, enzyme_const, x,
                               enzyme_const, assign, enzyme_const, K, enzyme_const, NP,
                               enzyme_const, D),
              dotv(dc, tc, K * D), RTOL_D, ATOL_D);

  // forward over reverse: H v = 2 n_j v_j for the points n_j assigned to centre j
  double v[K * D], hv[K * D], want[K * D];
  for (int i = 0; i < K * D; i++) {
    v[i] = 1.0 + 0.1 * i;
    dc[i] = hv[i] = want[i] = 0;
  }
  __enzyme_fwddiff((void *)kgrad, enzyme_dup, c, v, enzyme_dup, dc, hv, enzyme_const, x,
                   enzyme_const, assign);
  for (int i = 0; i < NP; i++) {
    int a = nearest(c, x, i, 0);
    for (int l = 0; l < D; l++)
      want[a * D + l] += 2.0 * v[a * D + l];
  }
  CHECK_ARRAY_CLOSE("kmeans Hessian-vector product", hv, want, K * D, RTOL_D, ATOL_D);
  CHECK_ARRAY_CLOSE("kmeans gradient beside the product", dc, g, K * D, RTOL_D, ATOL_D);

  // ties: centres 1 and 4 equal, so points nearest to them tie; a second copy of centre 1
  double ct[K * D];
  for (int i = 0; i < K * D; i++)
    ct[i] = c[i];
  for (int l = 0; l < D; l++)
    ct[4 * D + l] = ct[1 * D + l];
  int ties = 0;
  for (int i = 0; i < NP; i++)
    ties += nearest(ct, x, i, 0) != nearest(ct, x, i, 1);
  CHECK_CLOSE("the tie case has ties", ties > 0, 1, 0, 0);
  zero(dc, K * D);
  kgrad(ct, dc, x, assign);
  kmeans_exact(ct, x, 0, g);
  CHECK_ARRAY_CLOSE("strict minimum keeps the first of a tie", dc, g, K * D, RTOL_D, ATOL_D);
  zero(dc, K * D);
  __enzyme_autodiff((void *)kmeans_last, enzyme_dup, ct, dc, enzyme_const, x, enzyme_const, K,
                    enzyme_const, NP, enzyme_const, D);
  kmeans_exact(ct, x, 1, g);
  CHECK_ARRAY_CLOSE("non-strict minimum keeps the last of a tie", dc, g, K * D, RTOL_D, ATOL_D);
  // and away from ties against finite differences
  zero(dc, K * D);
  __enzyme_autodiff((void *)kmeans_last, enzyme_dup, c, dc, enzyme_const, x, enzyme_const, K,
                    enzyme_const, NP, enzyme_const, D);
  CHECK_GRAD_FD("kmeans (non-strict)", fd_kmeans_last, NULL, c, K * D, dc, RTOL_FD, ATOL_FD);

  // a maximum of minima: the farthest point's nearest centre gets -(x - c) / |x - c|
  {
    zero(dc, K * D);
    __enzyme_autodiff((void *)minimax, enzyme_dup, c, dc, enzyme_const, x, enzyme_const, K,
                      enzyme_const, NP, enzyme_const, D);
    int fi = 0, fj = 0;
    double worst = -INFINITY;
    for (int i = 0; i < NP; i++) {
      int a = nearest(c, x, i, 1);
      double s = 0;
      for (int l = 0; l < D; l++)
        s += (x[i * D + l] - c[a * D + l]) * (x[i * D + l] - c[a * D + l]);
      if (s > worst) {
        worst = s;
        fi = i;
        fj = a;
      }
    }
    zero(g, K * D);
    for (int l = 0; l < D; l++)
      g[fj * D + l] = -(x[fi * D + l] - c[fj * D + l]) / sqrt(worst);
    CHECK_ARRAY_CLOSE("maximum of minima vs analytic", dc, g, K * D, RTOL_D, ATOL_D);
    CHECK_GRAD_FD("maximum of minima", fd_minimax, NULL, c, K * D, dc, RTOL_FD, ATOL_FD);
    CHECK_CLOSE("maximum of minima forward vs reverse",
                __enzyme_fwddiff((void *)minimax, enzyme_dup, c, tc, enzyme_const, x,
                                 enzyme_const, K, enzyme_const, NP, enzyme_const, D),
                dotv(dc, tc, K * D), RTOL_D, ATOL_D);
  }

  // argmax through fmax
  double y[N], dy[N], w[N], ty[N], wy[N];
  for (int j = 0; j < N; j++) {
    y[j] = 1.5 * prand(&st);
    w[j] = 1.0 + 0.5 * prand(&st);
    ty[j] = prand(&st);
  }
  zero(dy, N);
  __enzyme_autodiff((void *)fmax_score, enzyme_dup, y, dy, enzyme_const, w, enzyme_const, N);
  {
    int a = 0;
    double m = -INFINITY;
    for (int j = 0; j < N; j++) {
      double s = w[j] * sin(y[j]) + 0.25 * y[j] * y[j];
      if (s > m) {
        m = s;
        a = j;
      }
    }
    zero(wy, N);
    wy[a] = 2 * m * (w[a] * cos(y[a]) + 0.5 * y[a]);
    CHECK_ARRAY_CLOSE("fmax argmax vs analytic", dy, wy, N, RTOL_D, ATOL_D);
  }
  CHECK_GRAD_FD("fmax argmax", fd_fmax_score, w, y, N, dy, RTOL_FD, ATOL_FD);
  CHECK_CLOSE("fmax argmax forward vs reverse",
              __enzyme_fwddiff((void *)fmax_score, enzyme_dup, y, ty, enzyme_const, w,
                               enzyme_const, N),
              dotv(dy, ty, N), RTOL_D, ATOL_D);
  // fmax tie: equal candidates at 2 and 5; fmax(m, s) keeps m (the first) on a tie
  {
    double yt[N], wt[N];
    for (int j = 0; j < N; j++) {
      yt[j] = -0.1 * j;
      wt[j] = 1.0;
    }
    yt[2] = yt[5] = 1.1;
    zero(dy, N);
    __enzyme_autodiff((void *)fmax_score, enzyme_dup, yt, dy, enzyme_const, wt, enzyme_const,
                      N);
    double m = sin(1.1) + 0.25 * 1.1 * 1.1;
    zero(wy, N);
    wy[2] = 2 * m * (cos(1.1) + 0.5 * 1.1);
    CHECK_ARRAY_CLOSE("fmax keeps the first of a tie", dy, wy, N, RTOL_D, ATOL_D);
  }

  // a minimum and a maximum in one loop
  {
    zero(dy, N);
    __enzyme_autodiff((void *)spread, enzyme_dup, y, dy, enzyme_const, N);
    int lo = 0, hi = 0;
    for (int j = 1; j < N; j++) {
      if (y[j] * (1.5 - y[j]) < y[lo] * (1.5 - y[lo]))
        lo = j;
      if (y[j] * (1.5 - y[j]) > y[hi] * (1.5 - y[hi]))
        hi = j;
    }
    zero(wy, N);
    wy[hi] += 1.5 - 2 * y[hi];
    wy[lo] -= 1.5 - 2 * y[lo];
    CHECK_ARRAY_CLOSE("minimum and maximum in one loop vs analytic", dy, wy, N, RTOL_D, ATOL_D);
    CHECK_GRAD_FD("minimum and maximum in one loop", fd_spread, NULL, y, N, dy, RTOL_FD, ATOL_FD);
  }

  // a payload chosen with the minimum
  {
    zero(dy, N);
    __enzyme_autodiff((void *)payload, enzyme_dup, y, dy, enzyme_const, w, enzyme_const, N);
    int a = 0;
    for (int j = 1; j < N; j++)
      if ((y[j] + 0.3) * (y[j] + 0.3) < (y[a] + 0.3) * (y[a] + 0.3))
        a = j;
    double s = (y[a] + 0.3) * (y[a] + 0.3), ds = 2 * (y[a] + 0.3);
    zero(wy, N);
    wy[a] = ds + w[a] * (ds * y[a] + s);
    CHECK_ARRAY_CLOSE("payload of the minimum vs analytic", dy, wy, N, RTOL_D, ATOL_D);
    CHECK_GRAD_FD("payload of the minimum", fd_payload, w, y, N, dy, RTOL_FD, ATOL_FD);
  }

  // a branch inside the iteration; the minimum once on each side of it
  static const double shifts[] = {0.0, -2.5, 2.5};
  for (unsigned k = 0; k < COUNT_OF(shifts); k++) {
    double yb[N];
    for (int j = 0; j < N; j++)
      yb[j] = y[j] + shifts[k];
    zero(dy, N);
    __enzyme_autodiff((void *)branchy_min, enzyme_dup, yb, dy, enzyme_const, N);
    CHECK_GRAD_FD("branch inside the iteration", fd_branchy, NULL, yb, N, dy, RTOL_FD, ATOL_FD);
    CHECK_CLOSE("branchy forward vs reverse",
                __enzyme_fwddiff((void *)branchy_min, enzyme_dup, yb, ty, enzyme_const, N),
                dotv(dy, ty, N), RTOL_D, ATOL_D);
  }

  // NaN candidates: y < 0 gives NaN. Positive values 0.9, 0.4, 1.6 at 1, 4, 6; NaN at 0, 3, 7.
  {
    double yn[N] = {-1.0, 0.9, 0.7, -0.5, 0.4, 1.3, 1.6, -2.0};
    double dn[N];
    zero(dn, N);
    __enzyme_autodiff((void *)nan_lt, enzyme_dup, yn, dn, enzyme_const, N);
    zero(wy, N);
    wy[4] = 1.5 * sqrt(0.4); // d/dy y^1.5 at the minimum 0.4
    CHECK_ARRAY_CLOSE("`<` never picks NaN", dn, wy, N, RTOL_D, ATOL_D);
    CHECK_GRAD_FD("`<` with NaN candidates", fd_nan_lt, NULL, yn, N, dn, RTOL_FD, ATOL_FD);
    zero(dn, N);
    __enzyme_autodiff((void *)nan_fmin, enzyme_dup, yn, dn, enzyme_const, N);
    CHECK_ARRAY_CLOSE("fmin skips NaN", dn, wy, N, RTOL_D, ATOL_D);
    CHECK_GRAD_FD("fmin with NaN candidates", fd_nan_fmin, NULL, yn, N, dn, RTOL_FD, ATOL_FD);
    // `!(s >= m)` takes every NaN and whatever follows one: with a finite last candidate
    // (2.0 at 7) the winner is 4 again, reached through the NaN at 3.
    yn[7] = 2.0;
    zero(dn, N);
    __enzyme_autodiff((void *)nan_not_ge, enzyme_dup, yn, dn, enzyme_const, N);
    CHECK_ARRAY_CLOSE("`!(s >= m)` through a NaN", dn, wy, N, RTOL_D, ATOL_D);
    CHECK_GRAD_FD("`!(s >= m)` with NaN candidates", fd_nan_not_ge, NULL, yn, N, dn, RTOL_FD,
                  ATOL_FD);
    // a NaN last candidate wins `!(s >= m)`: the result is NaN, the others get nothing
    double ym[N] = {1.0, 0.9, 0.7, 1.5, 0.4, 1.3, 1.6, -2.0};
    double r = nan_not_ge(ym, N);
    CHECK_CLOSE("the last NaN wins `!(s >= m)`", isnan(r), 1, 0, 0);
    zero(dn, N);
    __enzyme_autodiff((void *)nan_not_ge, enzyme_dup, ym, dn, enzyme_const, N);
    for (int j = 0; j < 7; j++)
      CHECK_CLOSE("a NaN winner passes nothing to the others", dn[j], 0, 0, 0);
  }

  // early exits: none taken, the cap (before the candidate), the tolerance (after the update)
  {
    double ye[N] = {0.9, -0.3, 0.6, 0.2, 1.4, 0.27, -0.6, 0.5};
    static const double caps[] = {10.0, 1.0, 10.0}, tols[] = {-1.0, -1.0, 0.01};
    static const int stops[] = {N, 4, 4}; // elements looked at (both exits stop at index 3)
    for (unsigned k = 0; k < COUNT_OF(caps); k++) {
      early_cap = caps[k];
      early_tol = tols[k];
      zero(dy, N);
      __enzyme_autodiff((void *)early_exit_min, enzyme_dup, ye, dy, enzyme_const, caps[k],
                        enzyme_const, tols[k], enzyme_const, N);
      int a = -1;
      double m = INFINITY;
      for (int j = 0; j < stops[k]; j++) {
        double sj = (ye[j] - 0.25) * (ye[j] - 0.25) + 0.01 * ye[j];
        if (sj < m) {
          m = sj;
          a = j;
        }
      }
      zero(wy, N);
      wy[a] = (2.0 + 2.0 * m) * (2.0 * (ye[a] - 0.25) + 0.01);
      CHECK_ARRAY_CLOSE("early exits vs analytic", dy, wy, N, RTOL_D, ATOL_D);
      CHECK_GRAD_FD("early exits", fd_early, NULL, ye, N, dy, RTOL_FD, ATOL_FD);
    }
  }

  // an active start value: the bound wins, then an element wins
  static const double bounds[] = {-5.0, 0.5};
  for (unsigned k = 0; k < COUNT_OF(bounds); k++) {
    zero(dy, N);
    double db = __enzyme_autodiff((void *)bound_min, enzyme_dup, y, dy, bounds[k], enzyme_const, N);
    int a = -1;
    double m = bounds[k];
    for (int j = 0; j < N; j++)
      if (y[j] * y[j] * y[j] < m) {
        m = y[j] * y[j] * y[j];
        a = j;
      }
    zero(wy, N);
    if (a >= 0)
      wy[a] = 15.0 * y[a] * y[a];
    CHECK_CLOSE("which wins: an element exactly when the bound is 0.5", a >= 0, k == 1, 0, 0);
    CHECK_ARRAY_CLOSE("bound_min dy", dy, wy, N, RTOL_D, ATOL_D);
    CHECK_CLOSE("bound_min dbound", db, a < 0 ? 5.0 : 0.0, RTOL_D, ATOL_D);
    double h = 1e-6;
    CHECK_CLOSE("bound_min dbound vs finite differences", db,
                (bound_min(y, bounds[k] + h, N) - bound_min(y, bounds[k] - h, N)) / (2 * h),
                RTOL_FD, ATOL_FD);
  }

  // candidates also stored into active memory
  {
    double out[N], dout[N];
    zero(dy, N);
    zero(dout, N);
    __enzyme_autodiff((void *)store_min, enzyme_dup, y, dy, enzyme_dup, out, dout, enzyme_const,
                      N);
    CHECK_GRAD_FD("minimum with the candidates stored", fd_store_min, NULL, y, N, dy, RTOL_FD,
                  ATOL_FD);
    int a = 0;
    for (int j = 1; j < N; j++)
      if ((y[j] - 0.5) * (y[j] - 0.5) < (y[a] - 0.5) * (y[a] - 0.5))
        a = j;
    for (int j = 0; j < N; j++)
      wy[j] = 2 * (y[j] - 0.5) * ((0.1 + 0.05 * j) + (j == a));
    CHECK_ARRAY_CLOSE("minimum with the candidates stored vs analytic", dy, wy, N, RTOL_D,
                      ATOL_D);
  }

  // float argmax
  {
    float yf[N], dyf[N];
    int a = 0;
    for (int j = 0; j < N; j++) {
      yf[j] = (float)(0.5 + 0.4 * y[j]);
      dyf[j] = 0;
      if (yf[j] * (1.0f - yf[j]) > yf[a] * (1.0f - yf[a]))
        a = j;
    }
    __enzyme_autodiff((void *)maxf_score, enzyme_dup, yf, dyf, enzyme_const, N);
    for (int j = 0; j < N; j++)
      CHECK_CLOSE("float argmax", dyf[j], j == a ? 2.0 * (1.0 - 2.0 * yf[j]) : 0.0, RTOL_F,
                  ATOL_F);
  }
  return check_report();
}
