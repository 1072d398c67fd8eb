// C11 `_Atomic double` locals updated by `*=`, `/=` and `+=`/`-=` (issue 14). clang writes a
// compound update of an atomic double as a compare-and-swap loop on the value's bits; `+=`/`-=`
// already became `atomicrmw fadd`, `*=` and `/=` were refused ("cannot differentiate an atomic
// update of an active floating-point variable other than x += v / x -= v"). A stack variable
// whose address never leaves the function cannot be touched by another thread, so its first
// exchange always succeeds: the loop becomes a load, the update and a store
// (`prepare.rs`, `local_float_exchanges`). Shared atomics (`omp atomic x *= v`) stay refused.
// Reverse vs finite differences and vs the analytic gradient, forward vs reverse.
#include "check.h"
#include <math.h>
#include <stdatomic.h>

void __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);

double f(const double *x, int n) {
  _Atomic double acc = 1.0;
  _Atomic double sum = 0.0;
  for (int i = 0; i < n; i++) {
    acc *= x[i];
    sum += sin(x[i]);
    sum -= 0.25 * x[i] * x[i];
  }
  acc /= 2.0 + x[0] * x[0];
  return acc + sum;
}

static double f_pure(const double *x, const void *ctx) { return f(x, *(const int *)ctx); }

#define N 5
int main(void) {
  double x[N] = {1.1, -0.7, 1.3, 0.9, 1.7}, dx[N] = {0}, t[N] = {0.3, -0.2, 0.5, 0.1, -0.4};
  int n = N;
  __enzyme_autodiff((void *)f, enzyme_dup, x, dx, enzyme_const, n);
  double dot = 0;
  for (int i = 0; i < N; i++) {
    CHECK_CLOSE_AT("reverse vs FD", (double)i, dx[i], fdvc(f_pure, &n, x, N, i), RTOL_FD, ATOL_FD);
    /* f = P / (2 + x0^2) + sum(sin x - x^2 / 4), P = prod x */
    double P = 1;
    for (int k = 0; k < N; k++)
      P *= x[k];
    double q = 2 + x[0] * x[0];
    double want = P / x[i] / q + cos(x[i]) - 0.5 * x[i] - (i == 0 ? P * 2 * x[0] / (q * q) : 0);
    CHECK_CLOSE_AT("reverse vs analytic", (double)i, dx[i], want, RTOL_D, ATOL_D);
    dot += dx[i] * t[i];
  }
  double fwd = __enzyme_fwddiff((void *)f, enzyme_dup, x, t, enzyme_const, n);
  CHECK_CLOSE("forward = <reverse, t>", fwd, dot, 1e-10, 1e-12);
  return check_report();
}
