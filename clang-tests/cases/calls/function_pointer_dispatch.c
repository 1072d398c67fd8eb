// Calls through function pointers that optimization cannot resolve: a
// right-hand side chosen at run time from a table, a callback kept in a
// struct field, and an allocator reached through a global pointer
// (Enzyme's metamalloc pattern). Reverse and forward mode; oracles:
// analytic derivatives and central finite differences.
#include "check.h"
#include <stdlib.h>

extern double __enzyme_autodiff(void *, ...);
extern double __enzyme_fwddiff(void *, ...);

typedef double (*rhs_fn)(double, double);
static double decay(double y, double k) { return -k * y; }
static double logistic(double y, double k) { return k * y * (1.0 - y); }
static double cubic(double y, double k) { return k * y * y * y - y; }
static rhs_fn table[3] = {decay, logistic, cubic};
static volatile int choice = 1;

// Euler steps of the chosen right-hand side.
static double integrate(double y0, double k) {
  rhs_fn f = table[choice];
  double y = y0;
  for (int i = 0; i < 20; i++)
    y += 0.05 * f(y, k);
  return y;
}
static double integrate_k(double k) { return integrate(0.3, k); }
static double integrate_y(double y) { return integrate(y, 1.7); }

struct model {
  int n;
  double (*act)(double);
};
static double softplus(double x) { return log1p(exp(x)); }
static double square(double x) { return x * x; }
static struct model m_g = {3, softplus};

static double apply(struct model *m, const double *x) {
  double s = 0;
  for (int i = 0; i < m->n; i++)
    s += m->act(x[i]) * (i + 1);
  return s;
}
static const double *xs_g;
static double apply_x1(double v) {
  double x[3] = {xs_g[0], v, xs_g[2]};
  return apply(&m_g, x);
}

struct alloc_tab {
  int count;
  void *(*allocfn)(size_t);
} tup = {0, malloc};
__attribute__((noinline)) void *meta_malloc(size_t n) { return tup.allocfn(n); }
static double through_heap(double x) {
  double *mem = (double *)meta_malloc(2 * sizeof(double));
  mem[0] = x * x;
  mem[1] = sin(mem[0]);
  double r = mem[1] * x;
  free(mem);
  return r;
}

int main(void) {
  for (int c = 0; c < 3; c++) {
    choice = c;
    double k = 1.7, y0 = 0.3;
    double dk = __enzyme_autodiff((void *)integrate, enzyme_const, y0, k);
    CHECK_CLOSE_AT("reverse d/dk through a table of callbacks", c, dk, fd1(integrate_k, k),
                   RTOL_FD, ATOL_FD);
    double dy = __enzyme_fwddiff((void *)integrate, y0, 1.0, enzyme_const, k);
    CHECK_CLOSE_AT("forward d/dy0 through a table of callbacks", c, dy, fd1(integrate_y, y0),
                   RTOL_FD, ATOL_FD);
  }

  double x[3] = {0.2, -0.5, 1.5}, dx[3] = {0, 0, 0};
  xs_g = x;
  for (int a = 0; a < 2; a++) {
    m_g.act = a ? square : softplus;
    dx[0] = dx[1] = dx[2] = 0;
    __enzyme_autodiff((void *)apply, enzyme_const, &m_g, enzyme_dup, x, dx);
    CHECK_CLOSE_AT("reverse, callback in a struct field", a, dx[1], fd1(apply_x1, x[1]), RTOL_FD,
                   ATOL_FD);
    double want0 = a ? 2 * x[0] : 1.0 / (1.0 + exp(-x[0]));
    CHECK_CLOSE_AT("reverse, callback in a struct field (analytic)", a, dx[0], want0, RTOL_D,
                   ATOL_D);
  }

  double v = 0.8;
  double want = cos(v * v) * 2 * v * v + sin(v * v);
  CHECK_CLOSE("reverse, allocator through a global pointer",
              __enzyme_autodiff((void *)through_heap, v), want, RTOL_D, ATOL_D);
  CHECK_CLOSE("forward, allocator through a global pointer",
              __enzyme_fwddiff((void *)through_heap, v, 1.0), want, RTOL_D, ATOL_D);
  return check_report();
}
