// Running extrema by fmax/fmin over values computed in the loop (log-sum-exp's row maximum),
// whose accumulator starts from a number: ferment leaves out the accumulator's NaN test (it can
// never be NaN), so these check the choices that must not change. Covered: a log-sum-exp over
// v_r = x_r + a_r from -INFINITY (every row of a matrix, an inner loop), NaN candidates (sqrt of
// negatives: ignored by fmax), candidates that never beat the start (-INFINITY: nothing wins), an
// fmin from +INFINITY, the accumulator as fmin's or fmax's second operand, and starts that may be
// NaN (an argument; a phi of a constant and an argument), where a NaN start must lose to the first
// number. Oracles: analytic gradients written out by hand, central finite differences, and
// forward mode against reverse.
// RUN: clang opt
#include "check.h"

double __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);
extern int enzyme_const, enzyme_dup, enzyme_out;

enum { R = 3, C = 7 };

// sum over rows of log sum_c exp(x[r][c] + a[c]), the row maximum by fmax from -INFINITY
double lse_rows(const double *x, const double *a, int rows, int cols) {
  double f = 0;
  for (int r = 0; r < rows; r++) {
    const double *xr = x + r * cols;
    double m = -INFINITY;
    for (int c = 0; c < cols; c++)
      m = fmax(m, xr[c] + a[c]);
    double e = 0;
    for (int c = 0; c < cols; c++)
      e += exp(xr[c] + a[c] - m);
    f += m + log(e);
  }
  return f;
}

// 3 * max_i sqrt(x_i) over the x_i >= 0 (sqrt of a negative is NaN, which fmax ignores)
double max_sqrt(const double *x, int n) {
  double m = -INFINITY;
  for (int i = 0; i < n; i++)
    m = fmax(m, sqrt(x[i]));
  return 3 * m;
}

// the candidates -x_i^2 - INFINITY never beat -INFINITY: the result is the start
double never_wins(const double *x, int n) {
  double m = -INFINITY;
  for (int i = 0; i < n; i++)
    m = fmax(m, -x[i] * x[i] - INFINITY);
  return m == -INFINITY ? 0.0 : m;
}

// 2 * min_i (x_i * x_i - x_i) from +INFINITY
double min_computed(const double *x, int n) {
  double m = INFINITY;
  for (int i = 0; i < n; i++)
    m = fmin(m, x[i] * x[i] - x[i]);
  return 2 * m;
}

// 2 * min_i (x_i * x_i - x_i) with the accumulator as fmin's second operand
double min_second(const double *x, int n) {
  double m = INFINITY;
  for (int i = 0; i < n; i++)
    m = fmin(x[i] * x[i] - x[i], m);
  return 2 * m;
}

// the accumulator as fmax's second operand
double max_second(const double *x, int n) {
  double m = -INFINITY;
  for (int i = 0; i < n; i++)
    m = fmax(x[i] * 1.5 + 0.25, m);
  return m;
}

// the start is an argument (possibly NaN)
double max_from(const double *x, double m, int n) {
  for (int i = 0; i < n; i++)
    m = fmax(m, 2 * x[i]);
  return m;
}

// the start is a phi of a constant and an argument
double max_from_either(const double *x, double s, int use_s, int n) {
  double m = use_s ? s : -1e300;
  for (int i = 0; i < n; i++)
    m = fmax(m, 2 * x[i]);
  return m;
}

static int N = C;
static double A[C];

static double fd_lse(const double *x, const void *c) { return lse_rows(x, A, R, *(const int *)c); }
static double fd_max_sqrt(const double *x, const void *c) { return max_sqrt(x, *(const int *)c); }
static double fd_min(const double *x, const void *c) { return min_computed(x, *(const int *)c); }
static double fd_second(const double *x, const void *c) { return max_second(x, *(const int *)c); }

int main(void) {
  double x[R * C], dx[R * C], da[C], want[R * C], wa[C], tx[R * C], ta[C];
  unsigned st = 11;
  for (int i = 0; i < R * C; i++) {
    x[i] = 2 * prand(&st) - 1;
    tx[i] = prand(&st) - 0.5;
  }
  for (int c = 0; c < C; c++) {
    A[c] = 0.5 * prand(&st);
    ta[c] = prand(&st) - 0.5;
  }

  // log-sum-exp rows: softmax of each row
  for (int c = 0; c < C; c++)
    wa[c] = da[c] = 0;
  for (int i = 0; i < R * C; i++)
    dx[i] = 0;
  for (int r = 0; r < R; r++) {
    double m = -INFINITY, e = 0;
    for (int c = 0; c < C; c++)
      m = fmax(m, x[r * C + c] + A[c]);
    for (int c = 0; c < C; c++)
      e += exp(x[r * C + c] + A[c] - m);
    for (int c = 0; c < C; c++) {
      want[r * C + c] = exp(x[r * C + c] + A[c] - m) / e;
      wa[c] += want[r * C + c];
    }
  }
  __enzyme_autodiff((void *)lse_rows, enzyme_dup, x, dx, enzyme_dup, A, da, enzyme_const, R,
                    enzyme_const, C);
  CHECK_ARRAY_CLOSE("lse_rows dx vs softmax", dx, want, R * C, 1e-9, 1e-12);
  CHECK_ARRAY_CLOSE("lse_rows da vs summed softmax", da, wa, C, 1e-9, 1e-12);
  CHECK_GRAD_FD("lse_rows", fd_lse, &N, x, R * C, dx, RTOL_FD, ATOL_FD);
  CHECK_CLOSE("lse_rows forward vs reverse",
              __enzyme_fwddiff((void *)lse_rows, enzyme_dup, x, tx, enzyme_dup, A, ta,
                               enzyme_const, R, enzyme_const, C),
              dotv(dx, tx, R * C) + dotv(da, ta, C), 1e-9, 1e-12);

  // NaN candidates ignored: x = {-1, 0.5, -4, 2.25, -0.1, 1, -9}: the maximum sqrt(2.25) at 3
  double y[C] = {-1, 0.5, -4, 2.25, -0.1, 1, -9}, dy[C];
  for (int i = 0; i < C; i++)
    dy[i] = 0;
  __enzyme_autodiff((void *)max_sqrt, enzyme_dup, y, dy, enzyme_const, C);
  for (int i = 0; i < C; i++)
    want[i] = i == 3 ? 3 * 0.5 / sqrt(2.25) : 0;
  CHECK_CLOSE("max_sqrt value", max_sqrt(y, C), 3 * 1.5, RTOL_D, ATOL_D);
  CHECK_ARRAY_CLOSE("max_sqrt with NaN candidates", dy, want, C, RTOL_D, ATOL_D);
  CHECK_GRAD_FD("max_sqrt", fd_max_sqrt, &N, y, C, dy, RTOL_FD, ATOL_FD);
  CHECK_CLOSE("max_sqrt forward vs reverse",
              __enzyme_fwddiff((void *)max_sqrt, enzyme_dup, y, tx, enzyme_const, C),
              dotv(dy, tx, C), RTOL_D, ATOL_D);
  // every candidate NaN: the start stays, nothing receives anything
  double neg[C] = {-1, -2, -3, -4, -5, -6, -7};
  for (int i = 0; i < C; i++)
    dy[i] = 0;
  __enzyme_autodiff((void *)max_sqrt, enzyme_dup, neg, dy, enzyme_const, C);
  for (int i = 0; i < C; i++)
    want[i] = 0;
  CHECK_TRUE("max_sqrt of negatives is -INFINITY", max_sqrt(neg, C) == -INFINITY);
  CHECK_ARRAY_CLOSE("max_sqrt of negatives: no adjoint", dy, want, C, RTOL_D, ATOL_D);

  // candidates that never beat the start
  for (int i = 0; i < C; i++)
    dy[i] = 0;
  __enzyme_autodiff((void *)never_wins, enzyme_dup, y, dy, enzyme_const, C);
  CHECK_ARRAY_CLOSE("never_wins: no adjoint", dy, want, C, RTOL_D, ATOL_D);

  // fmin from +INFINITY: x x - x is smallest at the element nearest 0.5
  double z[C] = {1.5, -0.3, 0.45, 2.0, 0.9, -1.0, 0.7};
  for (int i = 0; i < C; i++)
    dy[i] = 0;
  __enzyme_autodiff((void *)min_computed, enzyme_dup, z, dy, enzyme_const, C);
  for (int i = 0; i < C; i++)
    want[i] = i == 2 ? 2 * (2 * 0.45 - 1) : 0;
  CHECK_ARRAY_CLOSE("min_computed", dy, want, C, RTOL_D, ATOL_D);
  CHECK_GRAD_FD("min_computed", fd_min, &N, z, C, dy, RTOL_FD, ATOL_FD);
  for (int i = 0; i < C; i++)
    dy[i] = 0;
  __enzyme_autodiff((void *)min_second, enzyme_dup, z, dy, enzyme_const, C);
  CHECK_ARRAY_CLOSE("min_second", dy, want, C, RTOL_D, ATOL_D);
  CHECK_CLOSE("min_second forward vs reverse",
              __enzyme_fwddiff((void *)min_second, enzyme_dup, z, tx, enzyme_const, C),
              dotv(dy, tx, C), RTOL_D, ATOL_D);

  // accumulator second
  for (int i = 0; i < C; i++)
    dy[i] = 0;
  __enzyme_autodiff((void *)max_second, enzyme_dup, z, dy, enzyme_const, C);
  for (int i = 0; i < C; i++)
    want[i] = i == 3 ? 1.5 : 0;
  CHECK_ARRAY_CLOSE("max_second", dy, want, C, RTOL_D, ATOL_D);
  CHECK_GRAD_FD("max_second", fd_second, &N, z, C, dy, RTOL_FD, ATOL_FD);

  // a start that may be NaN: NaN loses to the first number (then the maximum, 2 * 2.0 at 3)
  static const double starts[] = {NAN, 1.0, 10.0};
  for (unsigned k = 0; k < COUNT_OF(starts); k++) {
    double s = starts[k], ds;
    int start_wins = s == 10.0;
    for (int i = 0; i < C; i++)
      dy[i] = 0;
    ds = __enzyme_autodiff((void *)max_from, enzyme_dup, z, dy, s, enzyme_const, C);
    for (int i = 0; i < C; i++)
      want[i] = !start_wins && i == 3 ? 2 : 0;
    char what[96];
    snprintf(what, sizeof what, "max_from start %g: value", s);
    CHECK_CLOSE(what, max_from(z, s, C), start_wins ? 10.0 : 4.0, RTOL_D, ATOL_D);
    snprintf(what, sizeof what, "max_from start %g: dx", s);
    CHECK_ARRAY_CLOSE(what, dy, want, C, RTOL_D, ATOL_D);
    snprintf(what, sizeof what, "max_from start %g: dstart", s);
    CHECK_CLOSE(what, ds, start_wins ? 1.0 : 0.0, RTOL_D, ATOL_D);
    for (int i = 0; i < C; i++)
      dy[i] = 0;
    ds = __enzyme_autodiff((void *)max_from_either, enzyme_dup, z, dy, s, enzyme_const, 1,
                           enzyme_const, C);
    snprintf(what, sizeof what, "max_from_either start %g: value", s);
    CHECK_CLOSE(what, max_from_either(z, s, 1, C), start_wins ? 10.0 : 4.0, RTOL_D, ATOL_D);
    snprintf(what, sizeof what, "max_from_either start %g: dx", s);
    CHECK_ARRAY_CLOSE(what, dy, want, C, RTOL_D, ATOL_D);
    snprintf(what, sizeof what, "max_from_either start %g: dstart", s);
    CHECK_CLOSE(what, ds, start_wins ? 1.0 : 0.0, RTOL_D, ATOL_D);
  }
  return check_report();
}
