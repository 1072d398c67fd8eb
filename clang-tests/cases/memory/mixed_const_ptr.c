// A phi or select that merges pointers into duplicated memory with pointers into constant memory
// (an enzyme_const argument, a constant global table), read through afterwards: the constant
// side has no derivative memory, so its reads contribute nothing and its adjoints go nowhere
// (Enzyme needs runtime activity for this). -O2 turns the branches into a select or a phi of
// pointers; -O0 keeps them as stores to a pointer variable, which mem2reg turns into a phi.
// Checked against the analytic gradient and central finite differences, reverse and forward,
// and against a constant array that must come out unchanged.
#include "check.h"
#include <math.h>

void __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);

static const double table[4] = {0.5, -1.5, 2.5, 3.0};

__attribute__((noinline)) double f(const double *x, const double *c, const int *k, long n) {
  double s = 0;
  for (long i = 0; i < n; i++) {
    const double *p;
    if (k[i] < 0)
      p = c + i;
    else if (k[i] == 0)
      p = table + (i & 3);
    else
      p = x + i;
    s += p[0] * p[0] + sin(p[0]) * x[i];
  }
  return s;
}

/* the same with a select and a pointer loaded through the merged pointer */
__attribute__((noinline)) double g(double *const *rows, const double *c, int flag, long n) {
  const double *const *r = flag ? (const double *const *)rows : &c;
  double s = 0;
  for (long i = 0; i < n; i++)
    s += r[0][i] * r[0][i] * (double)(i + 1);
  return s;
}

#define N 8
static const int K[N] = {1, -1, 0, 1, 0, -1, 1, 1};
static double C[N] = {5, 6, 7, 8, 9, 10, 11, 12};

static double f_pure(const double *x, const void *ctx) {
  (void)ctx;
  return f(x, C, K, N);
}

int main(void) {
  double x[N], dx[N], t[N];
  unsigned s = 7;
  for (int i = 0; i < N; i++) {
    x[i] = 1.5 * prand(&s);
    t[i] = prand(&s);
  }
  double c_before[N];
  for (int i = 0; i < N; i++)
    c_before[i] = C[i];

  for (int i = 0; i < N; i++)
    dx[i] = 0;
  __enzyme_autodiff((void *)f, enzyme_dup, x, dx, enzyme_const, C, enzyme_const, K, enzyme_const, (long)N);
  double dot = 0;
  for (int i = 0; i < N; i++) {
    double v = K[i] < 0 ? C[i] : K[i] == 0 ? table[i & 3] : x[i];
    double want = sin(v) + (K[i] > 0 ? 2 * x[i] + cos(x[i]) * x[i] : 0);
    CHECK_CLOSE_AT("reverse df/dx", (double)i, dx[i], want, RTOL_D, 1e-12);
    CHECK_CLOSE_AT("reverse vs FD", (double)i, dx[i], fdvc(f_pure, NULL, x, N, i), RTOL_FD, ATOL_FD);
    CHECK_CLOSE_AT("constant data unchanged", (double)i, C[i], c_before[i], 0, 0);
    dot += dx[i] * t[i];
  }
  double fwd = __enzyme_fwddiff((void *)f, enzyme_dup, x, t, enzyme_const, C, enzyme_const, K, enzyme_const, (long)N);
  CHECK_CLOSE("forward = <reverse, t>", fwd, dot, 1e-10, 1e-12);

  double *rows[1] = {x}, *drows[1] = {dx};
  for (int flag = 0; flag < 2; flag++) {
    for (int i = 0; i < N; i++)
      dx[i] = 0;
    __enzyme_autodiff((void *)g, enzyme_dup, rows, drows, enzyme_const, C, enzyme_const, flag, enzyme_const, (long)N);
    for (int i = 0; i < N; i++)
      CHECK_CLOSE_AT(flag ? "reverse dg/dx (rows)" : "reverse dg/dx (constant)", (double)i, dx[i],
                     flag ? 2 * x[i] * (i + 1) : 0.0, RTOL_D, 1e-12);
    double *trows[1] = {t};
    double gf = __enzyme_fwddiff((void *)g, enzyme_dup, rows, trows, enzyme_const, C, enzyme_const, flag, enzyme_const, (long)N);
    double want = 0;
    for (int i = 0; i < N; i++)
      want += flag ? 2 * x[i] * (i + 1) * t[i] : 0.0;
    CHECK_CLOSE("forward dg", gf, want, 1e-10, 1e-12);
  }
  for (int i = 0; i < N; i++)
    CHECK_CLOSE_AT("constant data unchanged after g", (double)i, C[i], c_before[i], 0, 0);
  return check_report();
}
