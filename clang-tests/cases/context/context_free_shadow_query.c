// Enzyme's shadows of globals read without a context: `__enzyme_shadow(&g, width, lane)` is
// the shadow ferment keeps for global g at that batch width, and every derivative of that
// width in the file uses it (reverse mode adds adjoints there, forward mode reads tangents
// seeded there; nothing clears it), split mode (__enzyme_augmentfwd / __enzyme_reverse) and
// reverse mode returning the primal too. Oracles: analytic derivatives.
#include "check.h"
typedef struct {
  double t0, t1;
} Two;
extern int enzyme_width;
void *__enzyme_shadow(void *, int, int);
double __enzyme_autodiff(void *, ...);
void *__enzyme_augmentfwd(void *, ...);
double __enzyme_reverse(void *, ...);
Two __enzyme_autodiff_p(void *, ...) __asm__("__enzyme_autodiff");
extern int enzyme_primal_return;
double __enzyme_fwddiff(void *, ...);
Two __enzyme_fwddiff2(void *, ...) __asm__("__enzyme_fwddiff");

double k = 1.5;
struct {
  int n;
  double c[3];
} poly = {3, {0.5, -2.0, 0.25}};

static double f(double x) {
  double s = 0;
  for (int i = poly.n - 1; i >= 0; i--) s = s * x + poly.c[i];
  return k * sin(x) + s;
}

int main(void) {
  double x = 0.8;
  double *dk = __enzyme_shadow(&k, 1, 0);
  double *dc = __enzyme_shadow(&poly.c[0], 1, 0);
  *dk = 0;
  for (int i = 0; i < 3; i++) dc[i] = 0;
  double dx = __enzyme_autodiff((void *)f, x);
  CHECK_CLOSE("reverse: d/dx", dx, k * cos(x) + poly.c[1] + 2 * poly.c[2] * x, RTOL_D, ATOL_D);
  CHECK_CLOSE("reverse: adjoint of k", *dk, sin(x), RTOL_D, ATOL_D);
  CHECK_CLOSE("reverse: adjoint of c[2]", dc[2], x * x, RTOL_D, ATOL_D);
  __enzyme_autodiff((void *)f, x);
  CHECK_CLOSE("reverse: adjoints accumulate across calls", *dk, 2 * sin(x), RTOL_D, ATOL_D);
  void *tape = __enzyme_augmentfwd((void *)f, x);
  double dxs = __enzyme_reverse((void *)f, x, 2.0, tape);
  CHECK_CLOSE("split: d/dx, seed 2", dxs, 2 * dx, RTOL_D, ATOL_D);
  CHECK_CLOSE("split: adjoint of k accumulates", *dk, 4 * sin(x), RTOL_D, ATOL_D);
  Two pr = __enzyme_autodiff_p((void *)f, enzyme_primal_return, x);
  CHECK_CLOSE("primal return: primal", pr.t0, f(x), RTOL_D, ATOL_D);
  CHECK_CLOSE("primal return: d/dx", pr.t1, dx, RTOL_D, ATOL_D);
  CHECK_CLOSE("primal return: adjoint of c[2] accumulates (1 + 1 + 2 + 1)", dc[2], 5 * x * x, RTOL_D, ATOL_D);

  *dk = 0;
  for (int i = 0; i < 3; i++) dc[i] = 0;
  dc[1] = 1.0;
  double t = __enzyme_fwddiff((void *)f, x, 0.0);
  CHECK_CLOSE("forward: tangent seeded in c[1]'s shadow", t, x, RTOL_D, ATOL_D);

  double *dk0 = __enzyme_shadow(&k, 2, 0), *dk1 = __enzyme_shadow(&k, 2, 1);
  double *dc0 = __enzyme_shadow(&poly.c[0], 2, 0), *dc1 = __enzyme_shadow(&poly.c[0], 2, 1);
  *dk0 = 1.0;
  *dk1 = 0.0;
  for (int i = 0; i < 3; i++) dc0[i] = dc1[i] = 0;
  dc1[0] = 1.0;
  Two t2 = __enzyme_fwddiff2((void *)f, enzyme_width, 2, x, 1.0, 0.0);
  CHECK_CLOSE("width 2, lane 0: d/dk + d/dx", t2.t0, sin(x) + k * cos(x) + poly.c[1] + 2 * poly.c[2] * x,
              RTOL_D, ATOL_D);
  CHECK_CLOSE("width 2, lane 1: d/dc0", t2.t1, 1.0, RTOL_D, ATOL_D);
  CHECK_CLOSE("width 1 shadows are separate", dc[1], 1.0, RTOL_D, ATOL_D);
  return check_report();
}
