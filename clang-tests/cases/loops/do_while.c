// do-while loops: a fixed-point iteration y <- 0.5 y + 0.3 sin(y) + c run until the step is tiny
// (at least once, data-dependent count), and a do-while walking an array with a pointer.
#include "check.h"

typedef struct { double d[2]; } D2;
D2 __enzyme_autodiff2(void *, ...) __asm__("__enzyme_autodiff");
void __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);

double fixpoint(double y0, double c) {
  double y = y0, prev;
  int k = 0;
  do {
    prev = y;
    y = 0.5 * y + 0.3 * sin(y) + c;
    k++;
  } while (fabs(y - prev) > 1e-13 && k < 500);
  return y;
}
static void fixpoint_hand(double y0, double c, double *dy0, double *dc) {
  double y = y0, prev, a = 1.0, b = 0.0; // a = dy/dy0, b = dy/dc
  int k = 0;
  do {
    prev = y;
    double g = 0.5 + 0.3 * cos(y);
    a = g * a;
    b = g * b + 1.0;
    y = 0.5 * y + 0.3 * sin(y) + c;
    k++;
  } while (fabs(y - prev) > 1e-13 && k < 500);
  *dy0 = a;
  *dc = b;
}

double walk(const double *x, int n) { // n >= 1
  const double *p = x, *end = x + n;
  double s = 0.0;
  do {
    s = s * 0.7 + *p * *p * *p;
    p++;
  } while (p != end);
  return s;
}
static int g_n;
static double walk_p(const double *x, const void *c) { (void)c; return walk(x, g_n); }

int main(void) {
  static const double cs[] = {-1.0, 0.2, 2.0};
  static const double y0s[] = {0.0, 5.0};
  for (unsigned i = 0; i < COUNT_OF(cs); i++)
    for (unsigned j = 0; j < COUNT_OF(y0s); j++) {
      double a, b;
      fixpoint_hand(y0s[j], cs[i], &a, &b);
      double y = fixpoint(y0s[j], cs[i]);
      CHECK_CLOSE_AT("oracle: d/dc vs implicit 1/(0.5 - 0.3 cos y)", cs[i], b, 1.0 / (0.5 - 0.3 * cos(y)), 1e-9, 1e-12);
      D2 g = __enzyme_autodiff2((void *)fixpoint, y0s[j], cs[i]);
      CHECK_CLOSE_AT("reverse fixpoint d/dy0", cs[i], g.d[0], a, 1e-9, 1e-14);
      CHECK_CLOSE_AT("reverse fixpoint d/dc", cs[i], g.d[1], b, 1e-12, 1e-14);
      CHECK_CLOSE_AT("forward fixpoint (1, 1)", cs[i], __enzyme_fwddiff((void *)fixpoint, y0s[j], 1.0, cs[i], 1.0), a + b, 1e-12, 1e-14);
    }
  double x[9];
  unsigned s = 3;
  for (int i = 0; i < 9; i++)
    x[i] = prand(&s);
  char what[64];
  for (int n = 1; n <= 9; n += 4) {
    g_n = n;
    double d[9] = {0}, tx[9];
    __enzyme_autodiff((void *)walk, x, d, n);
    snprintf(what, sizeof what, "reverse walk n=%d", n);
    CHECK_GRAD_FD(what, walk_p, NULL, x, 9, d, RTOL_FD, ATOL_FD);
    for (int i = 0; i < 9; i++)
      tx[i] = prand(&s);
    snprintf(what, sizeof what, "forward walk n=%d", n);
    CHECK_CLOSE(what, __enzyme_fwddiff((void *)walk, x, tx, n), dotv(d, tx, 9), RTOL_D, ATOL_D);
  }
  return check_report();
}
