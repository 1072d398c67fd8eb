// A loop-carried value `prev = x[i] * x[i]` (a header phi whose entry value is a constant) read
// in the next iteration under `i > 0`. The reverse sweep rebuilds the phi from its latch value
// one iteration late instead of taping it, `select(first iteration, 0.5, x[i - 1]^2)`; the load
// of x[i - 1] ran on the first iteration too, at index -1 through `zext nneg`: a 32 GiB offset,
// and the gradient crashed (SIGSEGV at -O0 on the old main). On the first iteration the rebuilt
// loads now read a zeroed dummy. Oracles: central finite differences, forward vs reverse.
#include "check.h"
#include <stdlib.h>

void __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);

static double carried(const double *x, int n) {
  double v = 1.0, u = 0.5, s = 0;
  for (int i = 0; i < n; i++) {
    double cv = v, cu = u;
    v = x[i] * cv;
    u = x[i] * x[i];
    s += cv * cv;
    if (i > 0)
      s += cu * x[i];
  }
  return s + v * v;
}

int main(void) {
  for (int n = 1; n <= 7; n += 3) {
    double *x = malloc(sizeof(double) * n), *dx = calloc(n, sizeof(double));
    double *t = malloc(sizeof(double) * n);
    for (int i = 0; i < n; i++) {
      x[i] = 0.6 - 0.35 * i + 0.05 * i * i;
      t[i] = 0.3 + 0.1 * i;
    }
    __enzyme_autodiff((void *)carried, enzyme_dup, x, dx, enzyme_const, n);
    CHECK_ARRAY_FD("reverse", x, n, dx, 1e-6, carried(x, n), RTOL_FD, ATOL_FD);
    double fw = __enzyme_fwddiff((void *)carried, enzyme_dup, x, t, enzyme_const, n);
    CHECK_CLOSE("forward vs reverse", fw, dotv(dx, t, n), RTOL_D, ATOL_D);
    free(x);
    free(dx);
    free(t);
  }
  return check_report();
}
