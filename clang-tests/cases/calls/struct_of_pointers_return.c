// CFLAGS: -mllvm -ferment-no-inline
// Calls that stay calls and return a struct of pointers by value ({ptr, ptr} and {ptr, i64}
// in registers: C++ expression objects, spans, iterator pairs). The pointers carry shadows:
// without them the derivative reads and writes nothing and comes out zero. Reverse and
// forward mode; the struct travels through a local, into a callee and back out.
// Oracles: analytic gradients, forward vs reverse.
#include "check.h"

double __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);

struct pair { const double *a; const double *b; };
struct span { double *p; long n; };

__attribute__((noinline)) struct pair make_pair(const double *a, const double *b) {
  struct pair p = {a, b};
  return p;
}
__attribute__((noinline)) struct span tail(struct span s, long k) {
  struct span t = {s.p + k, s.n - k};
  return t;
}
__attribute__((noinline)) double dot(const struct pair *p, long n) {
  double s = 0;
  for (long i = 0; i < n; i++) s += p->a[i] * p->b[i];
  return s;
}
// sum_i x_i y_i + sum_{i>=1} w_i^2 (w = scratch copy of x, written through a returned span)
__attribute__((noinline)) double f(const double *x, const double *y, double *w, long n) {
  struct pair p = make_pair(x, y);
  double s = dot(&p, n);
  struct span all = {w, n};
  struct span t = tail(all, 1);
  for (long i = 0; i < t.n; i++) t.p[i] = 3.0 * x[i + 1];
  for (long i = 0; i < t.n; i++) s += t.p[i] * t.p[i];
  return s;
}

int main(void) {
  enum { N = 5 };
  double x[N], y[N], w[N], dx[N] = {0}, dy[N] = {0}, dw[N] = {0};
  for (int i = 0; i < N; i++) {
    x[i] = 0.3 * i - 0.5;
    y[i] = 1.0 + 0.25 * i;
    w[i] = 0;
  }
  __enzyme_autodiff((void *)f, x, dx, y, dy, w, dw, (long)N);
  for (int i = 0; i < N; i++) {
    double want_x = y[i] + (i >= 1 ? 18.0 * x[i] : 0.0);
    CHECK_CLOSE_AT("d/dx", i, dx[i], want_x, RTOL_D, ATOL_D);
    CHECK_CLOSE_AT("d/dy", i, dy[i], x[i], RTOL_D, ATOL_D);
  }
  double tx[N], ty[N], tw[N] = {0}, dot_rev = 0;
  for (int i = 0; i < N; i++) {
    tx[i] = cos(1.0 + i);
    ty[i] = sin(2.0 + i);
    dot_rev += dx[i] * tx[i] + dy[i] * ty[i];
  }
  double tangent = __enzyme_fwddiff((void *)f, x, tx, y, ty, w, tw, (long)N);
  CHECK_CLOSE("forward vs reverse", tangent, dot_rev, RTOL_D, ATOL_D);
  return check_report();
}
