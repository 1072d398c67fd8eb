// Recursion as people write it: determinant by cofactor expansion allocating minors
// (malloc in every level), adaptive Simpson quadrature (recursive, a function pointer to the
// integrand, a depth limit), mutual recursion, and recursion returning a struct by value.
// Written as a new user's Enzyme program (session 36). Oracle: central differences (and forward vs reverse, analytic where noted).
#include "check.h"
#include <stdlib.h>
extern int enzyme_dup, enzyme_const, enzyme_out;
double __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);

static double det(const double *a, int n) {
  if (n == 1) return a[0];
  if (n == 2) return a[0] * a[3] - a[1] * a[2];
  double s = 0;
  double *m = malloc(sizeof(double) * (n - 1) * (n - 1));
  for (int c = 0; c < n; c++) {
    int k = 0;
    for (int i = 1; i < n; i++)
      for (int j = 0; j < n; j++)
        if (j != c) m[k++] = a[i * n + j];
    s += (c % 2 ? -1.0 : 1.0) * a[c] * det(m, n - 1);
  }
  free(m);
  return s;
}
double det4(const double *a) { return det(a, 4); }

typedef struct { double a, b, p; } Params;
static double integrand(double t, const Params *q) { return exp(-q->a * t * t) * cos(q->b * t) + q->p * t; }
typedef double (*fn)(double, const Params *);
static double simpson(fn f, const Params *q, double a, double b) {
  double c = 0.5 * (a + b);
  return (b - a) / 6 * (f(a, q) + 4 * f(c, q) + f(b, q));
}
static double adapt(fn f, const Params *q, double a, double b, double whole, int depth) {
  double c = 0.5 * (a + b);
  double l = simpson(f, q, a, c), r = simpson(f, q, c, b);
  if (depth <= 0 || fabs(l + r - whole) < 1e-12) return l + r;
  return adapt(f, q, a, c, l, depth - 1) + adapt(f, q, c, b, r, depth - 1);
}
double integral(const Params *q) {
  /* fixed depth so the primal is smooth in the parameters */
  return adapt(integrand, q, 0.0, 2.0, simpson(integrand, q, 0.0, 2.0), 4);
}

static double odd(double x, int n);
static double even(double x, int n) { return n == 0 ? x : sin(odd(x, n - 1)) + x; }
static double odd(double x, int n) { return n == 0 ? x * x : even(x * 0.9, n - 1) * x; }
double mutual(double x) { return even(x, 7); }

typedef struct { double v, w; } Pair;
static Pair fib(double x, int n) {
  if (n == 0) return (Pair){x, 1.0};
  Pair p = fib(x, n - 1);
  return (Pair){p.v + p.w * x, p.v};
}
double fibx(double x) { Pair p = fib(x, 6); return p.v * p.w; }

int main(void) {
  double a[16] = {2, 0.5, -1, 0.3, 0.1, 3, 0.2, -0.7, 1.1, -0.4, 2.5, 0.6, 0.2, 0.9, -0.3, 1.7}, da[16] = {0};
  __enzyme_autodiff((void *)det4, enzyme_dup, a, da);
  CHECK_ARRAY_FD("det", a, 16, da, 1e-6, det4(a), RTOL_FD, ATOL_FD);
  double v[16];
  for (int i = 0; i < 16; i++) v[i] = cos(i);
  CHECK_CLOSE("det fwd", __enzyme_fwddiff((void *)det4, enzyme_dup, a, v), dotv(v, da, 16), 1e-10, 1e-12);

  Params q = {0.8, 1.7, 0.3}, dq = {0};
  __enzyme_autodiff((void *)integral, enzyme_dup, &q, &dq);
  CHECK_CLOSE("d/da", dq.a, FD_AT(q.a, 1e-6, integral(&q)), RTOL_FD, ATOL_FD);
  CHECK_CLOSE("d/db", dq.b, FD_AT(q.b, 1e-6, integral(&q)), RTOL_FD, ATOL_FD);
  CHECK_CLOSE("d/dp", dq.p, FD_AT(q.p, 1e-6, integral(&q)), RTOL_FD, ATOL_FD);
  Params tq = {1, 0, 0};
  CHECK_CLOSE("d/da fwd", __enzyme_fwddiff((void *)integral, enzyme_dup, &q, &tq), dq.a, 1e-10, 1e-12);

  for (double x = 0.2; x < 1.5; x += 0.6) {
    CHECK_CLOSE_AT("mutual rev", x, __enzyme_autodiff((void *)mutual, x), fd1(mutual, x), RTOL_FD, ATOL_FD);
    CHECK_CLOSE_AT("mutual fwd", x, __enzyme_fwddiff((void *)mutual, x, 1.0), fd1(mutual, x), RTOL_FD, ATOL_FD);
    CHECK_CLOSE_AT("fib rev", x, __enzyme_autodiff((void *)fibx, x), fd1(fibx, x), RTOL_FD, ATOL_FD);
    CHECK_CLOSE_AT("fib fwd", x, __enzyme_fwddiff((void *)fibx, x, 1.0), fd1(fibx, x), RTOL_FD, ATOL_FD);
  }
  return check_report();
}
