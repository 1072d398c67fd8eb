// An optional output pointer: a kept function fills `out` only `if (out)`, called once with a
// buffer and once with NULL (cases/programs/gmm_em_logsumexp.c's e_step, spline_bsearch_fit.c's
// spline_eval). With -ferment-no-inline the NULL call's derivative has the argument without a
// shadow and is refused ("an active value is stored into argument 3 ..., which has no shadow")
// at -O0..-O3 (found in session 39; see README.md here). Checks reverse, forward, split and
// batched forward modes. Oracle: the analytic gradient, central differences, forward vs reverse.
// CFLAGS: -mllvm -ferment-no-inline
#include "check.h"
#include <stdlib.h>

double __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);
void *__enzyme_augmentfwd(void *, ...);
void __enzyme_reverse(void *, ...);
typedef struct { double d[2]; } Tan2;
Tan2 __enzyme_fwddiff2(void *, ...) __asm__("__enzyme_fwddiff_w2");
extern int enzyme_width, enzyme_dupv;

__attribute__((noinline)) static double squares(const double *x, int n, double *out) {
  double s = 0.0;
  for (int i = 0; i < n; i++) {
    double v = x[i] * x[i];
    s += v;
    if (out) out[i] = v;
  }
  return s;
}

/* a second level: the NULL travels through a kept caller */
__attribute__((noinline)) static double wrap(const double *x, int n, double *out) {
  return squares(x, n, out) * 0.5;
}

double g(const double *x) {
  double *tmp = malloc(3 * sizeof(double));
  squares(x, 3, tmp);
  double r = squares(x, 3, NULL) * tmp[1] + wrap(x, 3, NULL) * x[2];
  free(tmp);
  return r;
}

int main(void) {
  double x[3] = {1.0, 2.0, 3.0}, dx[3] = {0};
  __enzyme_autodiff((void *)g, enzyme_dup, x, dx);
  /* g = S x1^2 + (S / 2) x2, S = x0^2 + x1^2 + x2^2 = 14 */
  double S = 14.0;
  double want[3] = {2 * x[0] * x[1] * x[1] + x[0] * x[2], 2 * x[1] * x[1] * x[1] + 2 * S * x[1] + x[1] * x[2],
                    2 * x[2] * x[1] * x[1] + x[2] * x[2] + 0.5 * S};
  CHECK_ARRAY_CLOSE("dg/dx analytic", dx, want, 3, 1e-12, 1e-12);
  CHECK_ARRAY_FD("dg/dx", x, 3, dx, 1e-6, g(x), 1e-6, 1e-8);
  double t[3] = {0.3, -0.2, 0.5};
  double tan = __enzyme_fwddiff((void *)g, enzyme_dup, x, t);
  CHECK_CLOSE("forward vs reverse", tan, dotv(dx, t, 3), 1e-12, 1e-12);
  double sx[3] = {0};
  void *tape = __enzyme_augmentfwd((void *)g, enzyme_dup, x, sx);
  __enzyme_reverse((void *)g, enzyme_dup, x, sx, 1.0, tape);
  CHECK_ARRAY_CLOSE("split vs one call", sx, dx, 3, 1e-12, 1e-12);
  double tb[2][3] = {{1, 0, 0}, {0, 0, 1}};
  Tan2 tt = __enzyme_fwddiff2((void *)g, enzyme_width, 2, enzyme_dupv, sizeof tb[0], x, tb[0]);
  CHECK_CLOSE("batched lane 0", tt.d[0], dx[0], 1e-12, 1e-12);
  CHECK_CLOSE("batched lane 1", tt.d[1], dx[2], 1e-12, 1e-12);
  return check_report();
}
