// Running extrema over loaded values (`if (m < x[i]) m = x[i];`): the derivative keeps the
// address of the chosen element and adds the extremum's adjoint there once. Covered: a
// log-sum-exp (start x[0]), ties (a strict test keeps the first maximum, a non-strict one the
// last), a minimum whose start is a constant (INFINITY) and one whose start is an active
// argument that may win (then the argument receives the adjoint), the maximum of each row of a
// matrix (an inner loop), a running maximum also summed inside the loop (not rewritten), a
// `float` maximum, and fmax. Oracles: the analytic gradient written out by hand, central finite
// differences, and forward mode against reverse.
// RUN: clang opt
#include "check.h"

double __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);
extern int enzyme_const, enzyme_dup;

enum { N = 9, R = 4, C = 5 };

double arr_max(int n, const double *x) {
  double m = x[0];
  for (int i = 1; i < n; i++)
    if (m < x[i])
      m = x[i];
  return m;
}

double lse(const double *x, int n) {
  double mx = arr_max(n, x);
  double s = 0;
  for (int i = 0; i < n; i++)
    s += exp(x[i] - mx);
  return log(s) + mx;
}

// 3 max + 2 max^2: the derivative is (3 + 4 max) at the chosen element
double max_first(const double *x, int n) {
  double m = arr_max(n, x);
  return 3 * m + 2 * m * m;
}

double max_last(const double *x, int n) {
  double m = x[0];
  for (int i = 1; i < n; i++)
    m = x[i] >= m ? x[i] : m;
  return 3 * m + 2 * m * m;
}

double min_inf(const double *x, int n) {
  double m = INFINITY;
  for (int i = 0; i < n; i++)
    if (x[i] < m)
      m = x[i];
  return m * m;
}

// min(bound, x[0..n)) scaled: the bound wins when it is below every element
double min_bound(const double *x, double bound, int n) {
  double m = bound;
  for (int i = 0; i < n; i++)
    if (x[i] < m)
      m = x[i];
  return 5 * m;
}

double row_max(const double *a, const double *w) {
  double s = 0;
  for (int r = 0; r < R; r++) {
    double m = a[r * C];
    for (int c = 1; c < C; c++)
      m = fmax(m, a[r * C + c]);
    s += w[r] * m * m;
  }
  return s;
}

double sum_running_max(const double *x, int n) {
  double m = x[0], s = 0;
  for (int i = 1; i < n; i++) {
    if (m < x[i])
      m = x[i];
    s += m;
  }
  return s + m;
}

float max_float(const float *x, int n) {
  float m = x[0];
  for (int i = 1; i < n; i++)
    if (m < x[i])
      m = x[i];
  return m * m;
}

// central differences of the functions above, x varying (n fixed by the context)
static double fd_lse(const double *x, const void *c) { return lse(x, *(const int *)c); }
static double fd_max_first(const double *x, const void *c) { return max_first(x, *(const int *)c); }
static double fd_max_last(const double *x, const void *c) { return max_last(x, *(const int *)c); }
static double fd_min_inf(const double *x, const void *c) { return min_inf(x, *(const int *)c); }
static double fd_row_max(const double *a, const void *w) { return row_max(a, (const double *)w); }
static double fd_sum_running(const double *x, const void *c) {
  return sum_running_max(x, *(const int *)c);
}

int main(void) {
  int n = N;
  double x[N], dx[N], want[N], tx[N];
  unsigned st = 7;
  for (int i = 0; i < N; i++) {
    x[i] = 0.3 * i - 1.1 + 0.05 * prand(&st); // distinct, spread
    tx[i] = prand(&st);
  }
  // max at index 5, minimum at index 2
  x[5] = 2.0;
  x[2] = -2.0;

  // log-sum-exp: softmax
  double l = lse(x, n);
  for (int i = 0; i < N; i++) {
    want[i] = exp(x[i] - l);
    dx[i] = 0;
  }
  __enzyme_autodiff((void *)lse, x, dx, N);
  CHECK_ARRAY_CLOSE("lse reverse vs softmax", dx, want, N, 1e-9, 1e-12);
  CHECK_GRAD_FD("lse", fd_lse, &n, x, N, dx, RTOL_FD, ATOL_FD);
  CHECK_CLOSE("lse forward vs reverse", __enzyme_fwddiff((void *)lse, x, tx, N), dotv(dx, tx, N),
              1e-9, 1e-12);

  // ties: 2.0 at 5 and at 7
  double y[N];
  memcpy(y, x, sizeof y);
  y[7] = 2.0;
  for (int i = 0; i < N; i++)
    want[i] = i == 5 ? 3 + 4 * 2.0 : 0;
  for (int i = 0; i < N; i++)
    dx[i] = 0;
  __enzyme_autodiff((void *)max_first, y, dx, N);
  CHECK_ARRAY_CLOSE("strict maximum keeps the first of a tie", dx, want, N, RTOL_D, ATOL_D);
  CHECK_CLOSE("max_first forward vs reverse", __enzyme_fwddiff((void *)max_first, y, tx, N),
              dotv(dx, tx, N), RTOL_D, ATOL_D);
  for (int i = 0; i < N; i++)
    want[i] = i == 7 ? 3 + 4 * 2.0 : 0;
  for (int i = 0; i < N; i++)
    dx[i] = 0;
  __enzyme_autodiff((void *)max_last, y, dx, N);
  CHECK_ARRAY_CLOSE("non-strict maximum keeps the last of a tie", dx, want, N, RTOL_D, ATOL_D);
  CHECK_CLOSE("max_last forward vs reverse", __enzyme_fwddiff((void *)max_last, y, tx, N),
              dotv(dx, tx, N), RTOL_D, ATOL_D);
  // without ties, against finite differences (also the start x[0] chosen)
  for (int i = 0; i < N; i++)
    dx[i] = 0;
  __enzyme_autodiff((void *)max_first, x, dx, N);
  CHECK_GRAD_FD("max_first", fd_max_first, &n, x, N, dx, RTOL_FD, ATOL_FD);
  for (int i = 0; i < N; i++)
    dx[i] = 0;
  __enzyme_autodiff((void *)max_last, x, dx, N);
  CHECK_GRAD_FD("max_last", fd_max_last, &n, x, N, dx, RTOL_FD, ATOL_FD);
  double z[N];
  for (int i = 0; i < N; i++)
    z[i] = 1.0 - 0.1 * i; // the start is the maximum
  for (int i = 0; i < N; i++)
    dx[i] = 0;
  __enzyme_autodiff((void *)max_first, z, dx, N);
  CHECK_CLOSE("maximum at the start", dx[0], 3 + 4 * 1.0, RTOL_D, ATOL_D);
  CHECK_GRAD_FD("max_first (start)", fd_max_first, &n, z, N, dx, RTOL_FD, ATOL_FD);

  // minimum from INFINITY
  for (int i = 0; i < N; i++)
    dx[i] = 0;
  __enzyme_autodiff((void *)min_inf, x, dx, N);
  for (int i = 0; i < N; i++)
    want[i] = i == 2 ? 2 * -2.0 : 0;
  CHECK_ARRAY_CLOSE("minimum from INFINITY", dx, want, N, RTOL_D, ATOL_D);
  CHECK_GRAD_FD("min_inf", fd_min_inf, &n, x, N, dx, RTOL_FD, ATOL_FD);
  CHECK_CLOSE("min_inf forward vs reverse", __enzyme_fwddiff((void *)min_inf, x, tx, N),
              dotv(dx, tx, N), RTOL_D, ATOL_D);

  // minimum from an active bound: an element wins, then the bound wins
  static const double bounds[] = {0.5, -3.0};
  for (unsigned k = 0; k < COUNT_OF(bounds); k++) {
    double db = 0;
    for (int i = 0; i < N; i++)
      dx[i] = 0;
    // the derivative with respect to the bound comes back as the active return
    db = __enzyme_autodiff((void *)min_bound, enzyme_dup, x, dx, bounds[k], enzyme_const, N);
    double b_wins = bounds[k] < -2.0;
    for (int i = 0; i < N; i++)
      want[i] = (!b_wins && i == 2) ? 5.0 : 0;
    char what[96];
    snprintf(what, sizeof what, "minimum from bound %g: dx", bounds[k]);
    CHECK_ARRAY_CLOSE(what, dx, want, N, RTOL_D, ATOL_D);
    snprintf(what, sizeof what, "minimum from bound %g: dbound", bounds[k]);
    CHECK_CLOSE(what, db, b_wins ? 5.0 : 0.0, RTOL_D, ATOL_D);
    double h = 1e-6;
    double fd = (min_bound(x, bounds[k] + h, N) - min_bound(x, bounds[k] - h, N)) / (2 * h);
    snprintf(what, sizeof what, "oracle: dbound vs finite differences (bound %g)", bounds[k]);
    CHECK_CLOSE(what, db, fd, RTOL_FD, ATOL_FD);
  }

  // the maximum of every row (fmax), weighted
  double a[R * C], da[R * C], w[R] = {1.0, -0.5, 2.0, 0.25};
  for (int i = 0; i < R * C; i++)
    a[i] = prand(&st);
  for (int i = 0; i < R * C; i++)
    da[i] = 0;
  __enzyme_autodiff((void *)row_max, enzyme_dup, a, da, enzyme_const, w);
  double wa[R * C] = {0};
  for (int r = 0; r < R; r++) {
    int k = 0;
    for (int c = 1; c < C; c++)
      if (a[r * C + c] > a[r * C + k])
        k = c;
    wa[r * C + k] = 2 * w[r] * a[r * C + k];
  }
  CHECK_ARRAY_CLOSE("row maxima", da, wa, R * C, RTOL_D, ATOL_D);
  CHECK_GRAD_FD("row_max", fd_row_max, w, a, R * C, da, RTOL_FD, ATOL_FD);

  // a running maximum summed as it goes
  for (int i = 0; i < N; i++)
    dx[i] = 0;
  __enzyme_autodiff((void *)sum_running_max, x, dx, N);
  {
    double g[N] = {0};
    int k = 0;
    for (int i = 1; i < N; i++) {
      if (x[k] < x[i])
        k = i;
      g[k] += 1;
    }
    g[k] += 1;
    CHECK_ARRAY_CLOSE("running maximum summed", dx, g, N, RTOL_D, ATOL_D);
  }
  CHECK_GRAD_FD("sum_running_max", fd_sum_running, &n, x, N, dx, RTOL_FD, ATOL_FD);

  // float
  float xf[N], dxf[N];
  for (int i = 0; i < N; i++) {
    xf[i] = (float)x[i];
    dxf[i] = 0;
  }
  __enzyme_autodiff((void *)max_float, xf, dxf, N);
  for (int i = 0; i < N; i++)
    CHECK_CLOSE("float maximum", dxf[i], i == 5 ? 2 * 2.0 : 0.0, RTOL_F, ATOL_F);
  return check_report();
}
