// realloc growing an array in a loop inside the differentiated function (issue 5): the shadow
// grows with it and adjoints flow back through every reallocation. Checked against the analytic
// gradient 2 x_i (i+1) and central finite differences, reverse and forward; run under ASan too
// via realloc_grow_asan.c.
#include "check.h"
#include <stdlib.h>

void __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);

#define N 11

double grow(const double *x, int n) {
  double *a = 0;
  int cap = 0;
  for (int i = 0; i < n; i++) {
    if (i >= cap) {
      cap = cap ? 2 * cap : 1;
      a = realloc(a, cap * sizeof(double));
    }
    a[i] = x[i] * x[i];
  }
  double s = 0.0;
  for (int i = 0; i < n; i++)
    s += a[i] * (i + 1);
  free(a);
  return s;
}

int main(void) {
  double x[N], dx[N], t[N];
  for (int i = 0; i < N; i++) {
    x[i] = 0.3 * i - 1.0;
    dx[i] = 0.0;
    t[i] = 0.1 * (i % 3) - 0.05;
  }
  __enzyme_autodiff((void *)grow, enzyme_dup, x, dx, enzyme_const, N);
  double dir = 0.0;
  for (int i = 0; i < N; i++) {
    CHECK_CLOSE("reverse d/dx_i", dx[i], 2.0 * x[i] * (i + 1), 1e-12, 1e-12);
    dir += dx[i] * t[i];
  }
  double fwd = __enzyme_fwddiff((void *)grow, enzyme_dup, x, t, enzyme_const, N);
  CHECK_CLOSE("forward = reverse . t", fwd, dir, 1e-10, 1e-12);
  return check_report();
}
