// realloc of a small buffer holding active data: values stored before the realloc are read
// through the new pointer after it (straight-line, in a helper, and a shrink), in reverse and
// forward mode. Oracle: central finite differences.
#include "check.h"
#include <stdlib.h>

double __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);

static double grow(double x) {
  double *b = malloc(2 * sizeof(double));
  b[0] = x;
  b[1] = x * x;
  b = realloc(b, 4 * sizeof(double));
  b[2] = sin(b[1]);
  b[3] = b[0] * b[2];
  double r = b[3] + b[1];
  free(b);
  return r;
}

static double shrink(double x) {
  double *b = malloc(8 * sizeof(double));
  for (int i = 0; i < 8; i++) b[i] = x * (i + 1);
  b = realloc(b, 3 * sizeof(double));
  double r = b[0] * b[1] + exp(b[2] / 10.0);
  free(b);
  return r;
}

__attribute__((noinline)) static double *extend(double *b, int n) { return realloc(b, n * sizeof(double)); }

static double twice(double x, double y) {
  double *b = malloc(sizeof(double));
  b[0] = x * y;
  b = extend(b, 2);
  b[1] = b[0] + y;
  b = extend(b, 3);
  b[2] = b[1] * b[0];
  double r = b[2] + cos(b[1]);
  free(b);
  return r;
}

int main(void) {
  static const double xs[] = {0.7, -1.3, 2.1};
  char what[128];
  for (unsigned i = 0; i < COUNT_OF(xs); i++) {
    double x = xs[i];
#define W(s) (snprintf(what, sizeof what, "%s at %g", s, x), what)
    CHECK_CLOSE(W("reverse grow"), __enzyme_autodiff((void *)grow, x), fd1(grow, x), RTOL_FD, ATOL_FD);
    CHECK_CLOSE(W("forward grow"), __enzyme_fwddiff((void *)grow, x, 1.0), fd1(grow, x), RTOL_FD, ATOL_FD);
    CHECK_CLOSE(W("reverse shrink"), __enzyme_autodiff((void *)shrink, x), fd1(shrink, x), RTOL_FD, ATOL_FD);
    CHECK_CLOSE(W("forward shrink"), __enzyme_fwddiff((void *)shrink, x, 1.0), fd1(shrink, x), RTOL_FD, ATOL_FD);
    double y = 0.4 + i;
    CHECK_CLOSE(W("forward twice d/dx"), __enzyme_fwddiff((void *)twice, x, 1.0, y, 0.0), fd2(twice, x, y, 0), RTOL_FD, ATOL_FD);
    CHECK_CLOSE(W("forward twice d/dy"), __enzyme_fwddiff((void *)twice, x, 0.0, y, 1.0), fd2(twice, x, y, 1), RTOL_FD, ATOL_FD);
    CHECK_CLOSE(W("reverse twice d/dx"), __enzyme_autodiff((void *)twice, x, y), fd2(twice, x, y, 0), RTOL_FD, ATOL_FD);
#undef W
  }
  return check_report();
}
