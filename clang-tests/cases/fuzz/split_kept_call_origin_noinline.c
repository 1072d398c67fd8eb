// CFLAGS: -mllvm -ferment-no-inline
// Split mode (__enzyme_augmentfwd / __enzyme_reverse) with every call kept (-ferment-no-inline):
// the result of a kept call `h(s)` passed to another kept call, then values loaded from memory.
// The reverse sweep guards the partials of loaded values by a run-time test that the values a
// call may have written are finite (`loaded_factor_guards`); the origin tested was the first
// call, which the forward sweep had already replaced by its augmented call and erased, and
// reloading it crashed clang (segmentation fault in `Tape::create_slot`, main 48a3872 at
// -O0..-O3). Now the augmented call's primal result stands for it.
// Found by ferment-fuzz --variant hvp,user (seed 2870053, -ferment-no-inline).
// Oracles: central differences of the primal (split and combined gradients).
#include "check.h"

extern int enzyme_dup, enzyme_const, enzyme_out;
void *__enzyme_augmentfwd(void *, ...);
double __enzyme_reverse(void *, ...);
double __enzyme_autodiff(void *, ...);

enum { N = 3 };

__attribute__((noinline)) static double h(double a, double b) { return sin(a) + 0.5 * b * a; }

static double f(const double *p, double s) {
  double t = h(h(s, 1.0), 1.5);
  for (int i = 0; i < N; i++)
    t += tanh(cos(p[i])) * (1.0 + 0.1 * i);
  return t;
}

int main(void) {
  const double p[N] = {0.1, -0.4, 0.9};
  const double s = 0.7, e = 1e-6;
  double d[N] = {0}, dc[N] = {0};
  void *tape = __enzyme_augmentfwd((void *)f, enzyme_dup, p, d, s);
  double ds = __enzyme_reverse((void *)f, enzyme_dup, p, d, s, 1.0, tape);
  double dsc = __enzyme_autodiff((void *)f, enzyme_dup, p, dc, s);
  CHECK_CLOSE("split d/ds vs FD", ds, (f(p, s + e) - f(p, s - e)) / (2 * e), RTOL_FD, ATOL_FD);
  CHECK_CLOSE("combined d/ds vs FD", dsc, (f(p, s + e) - f(p, s - e)) / (2 * e), RTOL_FD,
              ATOL_FD);
  for (int i = 0; i < N; i++) {
    double pp[N], pm[N];
    memcpy(pp, p, sizeof pp);
    memcpy(pm, p, sizeof pm);
    pp[i] += e;
    pm[i] -= e;
    double fd = (f(pp, s) - f(pm, s)) / (2 * e);
    CHECK_CLOSE("split d/dp vs FD", d[i], fd, RTOL_FD, ATOL_FD);
    CHECK_CLOSE("combined d/dp vs FD", dc[i], fd, RTOL_FD, ATOL_FD);
  }
  return check_report();
}
