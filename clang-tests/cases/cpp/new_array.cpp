// CFLAGS: -std=c++17
// new[]/delete[] inside the differentiated function: scratch arrays of doubles and an array of
// small structs with a constructor, freed before returning. Reverse and forward mode, checked
// against analytic gradients.
#include "check.h"
#include <cmath>

extern "C" double __enzyme_autodiff(void *, ...);
extern "C" double __enzyme_fwddiff(void *, ...);

struct Pair {
  double a, b;
  Pair() : a(0), b(1) {}
};

// sum_i (x_i^3 + x_i x_{i+1}) with the cubes and products in new[] arrays
double cubes(const double *x, int n) {
  double *c = new double[n];
  Pair *p = new Pair[n];
  for (int i = 0; i < n; i++)
    c[i] = x[i] * x[i] * x[i];
  for (int i = 0; i + 1 < n; i++) {
    p[i].a = x[i];
    p[i].b = x[i + 1];
  }
  double s = 0;
  for (int i = 0; i < n; i++)
    s += c[i] + p[i].a * p[i].b;
  delete[] p;
  delete[] c;
  return s;
}

static double dcubes(const double *x, int n, int i) {
  double d = 3 * x[i] * x[i];
  if (i + 1 < n)
    d += x[i + 1];
  if (i > 0)
    d += x[i - 1];
  return d;
}

int main() {
  const int n = 5;
  double x[n] = {0.3, -0.5, 1.7, 2.5, 0.9};
  double dx[n] = {0};
  __enzyme_autodiff((void *)cubes, enzyme_dup, x, dx, enzyme_const, n);
  for (int i = 0; i < n; i++) {
    CHECK_CLOSE_AT("reverse d cubes/dx_i", x[i], dx[i], dcubes(x, n, i), RTOL_D, ATOL_D);
    double t[n] = {0};
    t[i] = 1;
    double f = __enzyme_fwddiff((void *)cubes, enzyme_dup, x, t, enzyme_const, n);
    CHECK_CLOSE_AT("forward d cubes/dx_i", x[i], f, dcubes(x, n, i), RTOL_D, ATOL_D);
  }
  return check_report();
}
