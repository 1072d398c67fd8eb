// Active stack arrays (VLA of runtime length and a fixed-size local array indexed at run time):
// prefix products written into a VLA, then a softmax-like normalisation in a local array.
// The shadows of the locals are created and zeroed by the derivative.
#include "check.h"

void __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);

double stack_fn(const double *x, int n) { // n <= 16
  double pre[n]; // VLA
  pre[0] = x[0];
  for (int i = 1; i < n; i++)
    pre[i] = pre[i - 1] * 0.5 + x[i] * x[i - 1];
  double e[16];
  double z = 0.0;
  for (int i = 0; i < n; i++) {
    e[i] = exp(pre[i] * 0.3);
    z += e[i];
  }
  double s = 0.0;
  for (int i = 0; i < n; i++)
    s += (i + 1) * e[(i * 5) % n] / z;
  return s;
}
static double stack_packed(const double *x, const void *ctx) { return stack_fn(x, *(const int *)ctx); }

int main(void) {
  static const int ns[] = {1, 2, 6, 16};
  double x[16];
  unsigned s = 65;
  for (int i = 0; i < 16; i++)
    x[i] = prand(&s);
  char what[128];
  for (unsigned c = 0; c < COUNT_OF(ns); c++) {
    int n = ns[c];
    double dx[16] = {0}, tx[16];
    __enzyme_autodiff((void *)stack_fn, x, dx, n);
    snprintf(what, sizeof what, "reverse n=%d", n);
    CHECK_GRAD_FD(what, stack_packed, &n, x, n, dx, RTOL_FD, ATOL_FD);
    for (int i = n; i < 16; i++)
      CHECK_CLOSE("no gradient beyond n", dx[i], 0.0, 0, 0);
    for (int i = 0; i < 16; i++)
      tx[i] = prand(&s);
    snprintf(what, sizeof what, "forward n=%d vs reverse . direction", n);
    CHECK_CLOSE(what, __enzyme_fwddiff((void *)stack_fn, x, tx, n), dotv(dx, tx, n), 1e-9, 1e-12);
  }
  return check_report();
}
