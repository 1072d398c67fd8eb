// A batched forward request whose derivative fails part-way through mutually recursive
// functions (a custom derivative with the wrong signature, reached after the recursive call):
// the derivatives made meanwhile for the callees, which call the failed one, are discarded, and
// the error is reported cleanly (this compile crashed before).
// CFLAGS: -mllvm -ferment-no-inline
// EXPECT-ERROR: the custom forward derivative 'dbad' of 'bad' takes 3 parameters
#include "check.h"
extern int enzyme_width;
typedef struct { double d[2]; } R2;
R2 __enzyme_fwddiff_r2(void *, ...);
double bad(double x) { return x * x; }
static double dbad(double x, double dx, double y) { return dx + y; }
void *__enzyme_register_derivative_bad[2] = {(void *)bad, (void *)dbad};
double g(double x, int n);
__attribute__((noinline)) double h(double x, int n) { return n <= 0 ? x : sin(g(x, n - 1)); }
__attribute__((noinline)) double g(double x, int n) {
  double v = n <= 0 ? x : h(x, n - 1) * x;
  return v + bad(v);
}
int main(void) {
  R2 r = __enzyme_fwddiff_r2((void *)g, enzyme_width, 2, 0.5, 1.0, 2.0, 5);
  printf("%g %g\n", r.d[0], r.d[1]);
  return 0;
}
